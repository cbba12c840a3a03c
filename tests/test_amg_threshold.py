"""GAMG's graph threshold (solver.amg_threshold): its default per geometry type, and that
it reaches the preconditioner PETSc builds (on 1 and 2 ranks)."""

import pytest
from test_case_schema import INCLUSION, STACK
from test_dirichlet_rows import stretched_cube

from chemomech.case import CaseError, load_case_text
from chemomech.case.schema import AMG_THRESHOLD, Solver
from chemomech.dolfinx_compat import MPI, PETSc
from chemomech.solve.newton import NewtonSolver


def test_default_follows_the_geometry_type():
    assert load_case_text(STACK).solver.amg_threshold == AMG_THRESHOLD["stack"] == 0.005
    assert load_case_text(INCLUSION).solver.amg_threshold == -1.0


def test_a_set_threshold_is_kept():
    assert load_case_text(STACK + "solver: {amg_threshold: -1}\n").solver.amg_threshold == -1.0
    assert load_case_text(INCLUSION, overrides=["solver.amg_threshold=0.02"]).solver.amg_threshold == 0.02


def test_a_threshold_of_one_or_more_is_refused():
    with pytest.raises(CaseError, match="amg_threshold"):
        load_case_text(STACK + "solver: {amg_threshold: 1.5}\n")


@pytest.mark.parametrize("threshold", [0.005, -1.0])
def test_gamg_builds_with_the_threshold(tmp_path, threshold):
    """The KSP's own description of its GAMG set-up after a solve names the threshold."""
    residual, u, bcs = stretched_cube()
    solver = NewtonSolver(residual, u, bcs, Solver(amg_threshold=threshold), prefix="test_amg_", force_scale=1.0)
    assert solver.solve().converged
    path = MPI.COMM_WORLD.bcast(str(tmp_path / "ksp.txt"), root=0)
    viewer = PETSc.Viewer().createASCII(path, comm=MPI.COMM_WORLD)
    solver.problem.solver.getKSP().view(viewer)
    viewer.destroy()
    solver.close()
    text = MPI.COMM_WORLD.bcast(open(path).read() if MPI.COMM_WORLD.rank == 0 else None, root=0)
    (line,) = [line for line in text.splitlines() if "Threshold for dropping small values in graph" in line]
    assert float(line.split("=")[1].split()[0]) == threshold
