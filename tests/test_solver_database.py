"""GAMG solves make their coarse operators with COARSE_LEVEL_OPTIONS in PETSc's global database,
and leave the database as they found it (a user's own setting included), on 1 and 2 ranks."""

import pytest
from test_dirichlet_rows import stretched_cube

from chemomech.case.schema import Solver
from chemomech.dolfinx_compat import PETSc
from chemomech.solve.newton import COARSE_LEVEL_OPTIONS, NewtonSolver

OPTION = "mat_no_inode"


def _present_during_solve(settings: Solver) -> set:
    """Whether OPTION was in the database at each Newton iterate of a solve of the stretched cube."""
    residual, u, bcs = stretched_cube()
    solver = NewtonSolver(residual, u, bcs, settings, prefix="test_solver_database_", force_scale=1.0)
    seen = set()
    solver.problem.solver.setMonitor(lambda snes, iteration, norm: seen.add(PETSc.Options().hasName(OPTION)))
    assert solver.solve().converged
    solver.close()
    return seen


def test_the_coarse_level_options_are_there_during_gamg_solves_only():
    assert OPTION in COARSE_LEVEL_OPTIONS
    assert not PETSc.Options().hasName(OPTION)
    assert _present_during_solve(Solver()) == {True}
    assert not PETSc.Options().hasName(OPTION)
    assert _present_during_solve(Solver(linear_solver="mumps")) == {False}


@pytest.mark.parametrize("value", ["0", "1"])
def test_a_users_setting_stays(value):
    database = PETSc.Options()
    database.setValue(OPTION, value)
    try:
        assert _present_during_solve(Solver()) == {True}
        assert database.getString(OPTION) == value
    finally:
        database.delValue(OPTION)
