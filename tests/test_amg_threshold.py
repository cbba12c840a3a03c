"""GAMG's graph threshold (solver.amg_threshold): its default per geometry type, and that
it reaches the preconditioner PETSc builds (on 1 and 2 ranks); the eigenvalue
estimator of its Chebyshev smoothers."""

import pytest
from test_case_schema import INCLUSION, STACK
from test_dirichlet_rows import stretched_cube

from chemomech.case import CaseError, load_case_text
from chemomech.case.schema import AMG_THRESHOLD, Solver
from chemomech.dolfinx_compat import MPI, PETSc
from chemomech.solve.newton import NewtonSolver, petsc_options


def test_default_follows_the_geometry_type():
    assert load_case_text(STACK).solver.amg_threshold == AMG_THRESHOLD["stack"] == 0.005
    assert load_case_text(INCLUSION).solver.amg_threshold == -1.0


def test_a_set_threshold_is_kept():
    assert load_case_text(STACK + "solver: {amg_threshold: -1}\n").solver.amg_threshold == -1.0
    assert load_case_text(INCLUSION, overrides=["solver.amg_threshold=0.02"]).solver.amg_threshold == 0.02


def test_a_threshold_of_one_or_more_is_refused():
    with pytest.raises(CaseError, match="amg_threshold"):
        load_case_text(STACK + "solver: {amg_threshold: 1.5}\n")


def _ksp_view_after_two_solves(tmp_path, settings) -> str:
    """What the KSP of a stretched cube, solved twice from u = 0, says of itself (the same text on
    every rank). The second solve sets GAMG up again, as a run's next load step does."""
    residual, u, bcs = stretched_cube()
    solver = NewtonSolver(residual, u, bcs, settings, prefix="test_amg_", force_scale=1.0)
    for _ in range(2):
        u.x.array[:] = 0.0
        assert solver.solve().converged
    path = MPI.COMM_WORLD.bcast(str(tmp_path / "ksp.txt"), root=0)
    viewer = PETSc.Viewer().createASCII(path, comm=MPI.COMM_WORLD)
    solver.problem.solver.getKSP().view(viewer)
    viewer.destroy()
    solver.close()
    return MPI.COMM_WORLD.bcast(open(path).read() if MPI.COMM_WORLD.rank == 0 else None, root=0)


@pytest.mark.parametrize("threshold", [0.005, -1.0])
def test_gamg_builds_with_the_threshold(tmp_path, threshold):
    """The KSP's own description of its GAMG set-up after a solve names the threshold."""
    text = _ksp_view_after_two_solves(tmp_path, Solver(amg_threshold=threshold))
    (line,) = [line for line in text.splitlines() if "Threshold for dropping small values in graph" in line]
    assert float(line.split("=")[1].split()[0]) == threshold


def test_chebyshev_bounds_come_from_cg_on_a_symmetric_tangent(tmp_path):
    """At a second set-up every smoothed level estimates its eigenvalues again, with CG (GMRES
    keeps its basis), and the largest eigenvalue of D⁻¹A is a plausible one: Jacobi-scaled
    elasticity has it in (1, 4)."""
    text = _ksp_view_after_two_solves(tmp_path, Solver())
    estimates = [line for line in text.splitlines() if "eigenvalues estimated via" in line]
    assert estimates and all("via cg:" in line for line in estimates)
    largest = [float(line.split("max")[1]) for line in estimates]
    assert all(1.0 < value < 4.0 for value in largest)


def test_a_nonsymmetric_tangent_keeps_gmres_for_the_estimates():
    assert petsc_options(Solver(), 1.0, symmetric=False)["mg_levels_esteig_ksp_type"] == "gmres"
    assert petsc_options(Solver(), 1.0, symmetric=True)["mg_levels_esteig_ksp_type"] == "cg"
