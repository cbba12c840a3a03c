"""MPI communicators: solvers made, used and closed, and whole runs, give back every one they took, on 1 and 2 ranks.

MPICH has 2048 communicators per process. PETSc makes its own beside each
communicator an object of it lives on, and keeps it while a PETSc object
left to Python's garbage collector is alive; the near-nullspace vectors of
GAMG once kept 15 per solver, and a process that made about 130 solvers (a
sweep or a test session) stopped with MPICH's status 15.
"""

import gc

import pytest
from test_dirichlet_rows import stretched_cube
from test_homogenize import rve_case
from test_premeshed import STACK

from chemomech.case import load_case_text
from chemomech.case.schema import Solver
from chemomech.dolfinx_compat import MPI
from chemomech.errors import SolverFailure
from chemomech.solve.newton import NewtonSolver
from chemomech.upscale.command import homogenize_case
from simulate import simulate


def free_communicators(limit: int = 4096) -> int:
    """How many more communicators this process can make (up to ``limit``)."""
    made = []
    try:
        while len(made) < limit:
            made.append(MPI.COMM_SELF.Dup())
    except MPI.Exception:
        pass
    for comm in made:
        comm.Free()
    return len(made)


def _make_use_and_close(residual, u, bcs) -> None:
    for settings in (Solver(), Solver(low_memory=True), Solver(linear_solver="mumps")):
        solver = NewtonSolver(residual, u, bcs, settings, prefix="test_mpi_resources_", force_scale=1.0)
        assert solver.solve().converged
        solver.close()
        u.x.array[:] = 0.0
    gc.collect()


def test_solvers_give_back_their_communicators():
    """The first round may keep what PETSc and MUMPS make once per process; the next ones keep nothing."""
    residual, u, bcs = stretched_cube()
    _make_use_and_close(residual, u, bcs)
    before = free_communicators()
    _make_use_and_close(residual, u, bcs)
    _make_use_and_close(residual, u, bcs)
    assert free_communicators() == before


def test_a_run_with_a_preload_gives_back_its_communicators():
    """The preload's solver is closed when the discharge begins, on every rank together: one left
    to Python's garbage collector on several ranks waits in PETSc's garbage, with its AMG matrix
    and its communicators, to the end of the process (9 communicators per run kept on 2 ranks)."""
    simulate(STACK)
    gc.collect()
    before = free_communicators()
    simulate(STACK)
    gc.collect()
    assert free_communicators() == before


def test_homogenisation_gives_back_its_communicators(mpi_tmp_path):
    """``chemomech homogenize`` closes its two RVE solvers (15 communicators kept on 2 ranks before)."""
    case = load_case_text(rve_case("plane_strain"))
    homogenize_case(case, mpi_tmp_path / "first", (0.0,), announce=lambda _: None)
    gc.collect()
    before = free_communicators()
    homogenize_case(case, mpi_tmp_path / "second", (0.0,), announce=lambda _: None)
    gc.collect()
    assert free_communicators() == before


def test_a_failed_homogenisation_gives_back_its_communicators(mpi_tmp_path):
    """A load case that does not converge raises SolverFailure on every rank together: the solvers
    are closed collectively before it leaves ``homogenize_case``."""
    text = rve_case("plane_strain").replace("newton_atol: 1.0e-14}", "newton_atol: 1.0e-14, max_newton_iterations: 1}")
    case = load_case_text(text)

    def fail(name: str) -> None:
        with pytest.raises(SolverFailure, match="did not converge"):
            homogenize_case(case, mpi_tmp_path / name, (0.0,), announce=lambda _: None)
        gc.collect()

    fail("first")
    before = free_communicators()
    fail("second")
    assert free_communicators() == before
    assert not (mpi_tmp_path / "second").exists()
