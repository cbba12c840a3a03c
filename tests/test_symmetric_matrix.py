"""The upper-triangle Jacobian (SBAIJ) of a symmetric tangent: preallocated exactly from the form's
sparsity pattern, the same products as the full matrix, on 1 and 2 ranks; and the tangents chemomech
assembles without history hooks are symmetric, as storing their upper triangle assumes."""

from pathlib import Path

import numpy as np
import pytest
import ufl
from test_dirichlet_rows import stretched_cube

from chemomech.case import load_case
from chemomech.case.schema import Solver
from chemomech.dolfinx_compat import MPI, PETSc, dolfinx
from chemomech.solve.newton import NewtonSolver
from chemomech.solve.simulation import build_simulation
from chemomech.solve.symmetric_matrix import create_symmetric_matrix, upper_block_counts

import dolfinx.fem.petsc  # noqa: E402  (after chemomech.dolfinx_compat)


def _jacobian(residual, u):
    return dolfinx.fem.form(ufl.derivative(residual, u))


def _full(form) -> PETSc.Mat:
    matrix = dolfinx.fem.petsc.create_matrix(form)
    dolfinx.fem.petsc.assemble_matrix(matrix, form)
    matrix.assemble()
    return matrix


def _assert_same_products(full, upper) -> None:
    """y = A x alike for a random x (to 1e-13); both matrices destroyed."""
    x = full.createVecRight()
    x.setRandom()
    y_full, y_upper = x.duplicate(), x.duplicate()
    full.mult(x, y_full)
    upper.mult(x, y_upper)
    assert (y_upper - y_full).norm() <= 1e-13 * y_full.norm()
    for item in (full, upper, x, y_full, y_upper):
        item.destroy()


def test_the_upper_triangle_multiplies_as_the_full_matrix():
    residual, u, _ = stretched_cube()
    u.interpolate(lambda x: np.array([0.1 * x[0] * x[1], 0.05 * x[2] ** 2, 0.02 * x[0]]))
    form = _jacobian(residual, u)
    full, upper = _full(form), create_symmetric_matrix(form)
    dolfinx.fem.petsc.assemble_matrix(upper, form)  # lower blocks dropped, no new nonzero allowed
    upper.assemble()
    assert upper.getType() in ("seqsbaij", "mpisbaij") and upper.getBlockSize() == 3
    info = upper.getInfo(PETSc.Mat.InfoType.GLOBAL_SUM)
    assert info["nz_allocated"] == info["nz_used"]  # exact preallocation
    # Stored: the 3 × 3 blocks on and above the block diagonal.
    blocks = MPI.COMM_WORLD.allreduce(sum(int(c.sum()) for c in upper_block_counts(form)))
    assert info["nz_used"] == 9 * blocks
    assert info["nz_used"] < 0.6 * full.getInfo(PETSc.Mat.InfoType.GLOBAL_SUM)["nz_used"]
    _assert_same_products(full, upper)


def test_converted_into_the_point_wise_matrix_gives_both_triangles():
    """At a GAMG set-up the Newton solver assembles the upper blocks and converts them into GAMG's
    existing point-wise matrix: the same entries as the full assembly, in the same matrix (GAMG holds
    it, with its near-nullspace). The upper matrix is MPISBAIJ on one process too: PETSc 3.25.5's
    conversion of a SeqSBAIJ one with 3 × 3 blocks gives wrong values."""
    residual, u, _ = stretched_cube()
    u.interpolate(lambda x: np.array([0.0 * x[0], 0.1 * x[0] ** 2, 0.05 * x[1] * x[2]]))
    form = _jacobian(residual, u)
    full, upper = _full(form), create_symmetric_matrix(form)
    assert upper.getType() == "mpisbaij"
    dolfinx.fem.petsc.assemble_matrix(upper, form)
    upper.assemble()
    target = dolfinx.fem.petsc.create_matrix(form)
    nullspace = PETSc.NullSpace().create(constant=True, comm=MPI.COMM_WORLD)
    target.setNearNullSpace(nullspace)
    handle = target.handle
    for _ in range(2):  # into the preallocated matrix, then into the assembled one (overwritten, not added to)
        upper.convert(target.getType(), target)
    assert target.handle == handle and target.getNearNullSpace().handle == nullspace.handle
    entries = [matrix.getInfo(PETSc.Mat.InfoType.GLOBAL_SUM)["nz_used"] for matrix in (target, full)]
    assert entries[0] == entries[1]
    difference = target.copy()
    difference.axpy(-1.0, full)
    assert difference.norm(PETSc.NormType.FROBENIUS) <= 1e-14 * full.norm(PETSc.NormType.FROBENIUS)
    for item in (difference, nullspace):
        item.destroy()
    _assert_same_products(full, target)
    upper.destroy()


CASES = Path(__file__).resolve().parents[1] / "cases"
SYMMETRIC_TANGENTS = {  # case file: steps taken before the tangent is checked
    "pellet_S_LTO_spring": 4,  # axisymmetric stack, a spring plunger (Robin), after the preload
    "pellet_S_LTO_3d": 2,  # 3D stack under a gap plunger
    "stack_separator_fracture": 8,  # phase field with the spectral split, the separator damaged (MUMPS)
    "single_particle_stress_diffusion": 2,  # diffusion-induced stress, staggered
}


@pytest.mark.parametrize("name", SYMMETRIC_TANGENTS)
def test_tangents_without_history_are_symmetric(name):
    """Hessians of stored energies, dead loads and a linear spring: K = Kᵀ to rounding in a deformed
    state. A tangent that was not would lose its lower triangle, and Newton its quadratic rate."""
    sim = build_simulation(load_case(CASES / f"{name}.yaml"), MPI.COMM_WORLD)
    schedule = sim.run_schedule()
    for _ in range(SYMMETRIC_TANGENTS[name]):
        next(schedule)
    for solver in sim.stepper._solvers.values():
        if solver._amg_matrix is not None:  # GAMG's Jacobians; a MUMPS one is point-wise
            assert solver.problem.A.getType() in ("seqsbaij", "mpisbaij")
        full = _full(solver.problem.J)
        difference = full.copy()
        difference.transpose()
        difference.axpy(-1.0, full)
        assert difference.norm(PETSc.NormType.FROBENIUS) <= 1e-12 * full.norm(PETSc.NormType.FROBENIUS)
        for matrix in (full, difference):
            matrix.destroy()
    sim.stepper.close()


def test_a_return_mapping_tangent_keeps_every_block():
    """Compaction's consistent tangent is not symmetric: CG's matrix stays BAIJ, rebuilt from the
    block matrix into GAMG's copy at every Newton step, and its lower blocks differ from the upper."""
    from test_compaction import E, Die

    die = Die("axisymmetric")
    die.solver.close()
    model = die.sim.model
    die.solver = solver = NewtonSolver(  # CG + GAMG, the block Jacobian (the case itself takes MUMPS)
        die.sim.support.residual,
        model.u,
        die.sim.support.fixed_bcs,
        Solver(),
        prefix="test_symmetric_matrix_die_",
        force_scale=model.force_scale(E),
        hooks=model.step_states,
    )
    for pressure in (100e6, 150e6):  # elastic, then past the onset of compaction (125 MPa)
        stats, *_ = die.load(pressure)
        assert stats.converged and stats.newton_iterations >= 2
    assert solver.problem.A.getType() in ("seqbaij", "mpibaij")
    full = _full(solver.problem.J)
    difference = full.copy()
    difference.transpose()
    difference.axpy(-1.0, full)
    assert difference.norm(PETSc.NormType.FROBENIUS) > 1e-6 * full.norm(PETSc.NormType.FROBENIUS)
    for matrix in (full, difference):
        matrix.destroy()
    solver.close()
    die.sim.stepper.close()
