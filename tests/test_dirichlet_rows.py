"""Newton updates projected onto the Dirichlet values, and the residual without lifting
(chemomech.solve.dirichlet_rows): a neo-Hookean cube stretched by a prescribed face
displacement, CG + GAMG inside Newton, on 1 and 2 ranks."""

import numpy as np
import pytest
import ufl

from chemomech.case.schema import Solver
from chemomech.dolfinx_compat import MPI, PETSc, dolfinx
from chemomech.solve.dirichlet_rows import DirichletRows
from chemomech.solve.newton import NewtonSolver

STRETCH = 0.08  # prescribed u_x on x = 1 [m]


def stretched_cube():
    """(residual, u, bcs, Jacobian form) of a unit neo-Hookean cube, x = 0 clamped, x = 1 pulled by STRETCH."""
    mesh = dolfinx.mesh.create_unit_cube(MPI.COMM_WORLD, 5, 5, 5, dolfinx.mesh.CellType.tetrahedron)
    space = dolfinx.fem.functionspace(mesh, ("Lagrange", 1, (3,)))
    u, v = dolfinx.fem.Function(space), ufl.TestFunction(space)
    f = ufl.Identity(3) + ufl.grad(u)
    j = ufl.det(f)
    energy = 0.5 * (ufl.tr(f.T * f) - 3 - 2 * ufl.ln(j)) + 0.5 * ufl.ln(j) ** 2
    residual = ufl.derivative(energy * ufl.dx, u, v)
    facets = dolfinx.mesh.locate_entities_boundary(mesh, 2, lambda x: np.isclose(x[0], 0.0))
    pulled = dolfinx.mesh.locate_entities_boundary(mesh, 2, lambda x: np.isclose(x[0], 1.0))
    clamp = dolfinx.fem.dirichletbc(np.zeros(3), dolfinx.fem.locate_dofs_topological(space, 2, facets), space)
    sub, _ = space.sub(0).collapse()
    dofs = dolfinx.fem.locate_dofs_topological((space.sub(0), sub), 2, pulled)
    pull = dolfinx.fem.Function(sub)
    pull.x.array[:] = STRETCH
    bcs = [clamp, dolfinx.fem.dirichletbc(pull, dofs, space.sub(0))]
    return residual, u, bcs


def solver_for(residual, u, bcs) -> NewtonSolver:
    return NewtonSolver(residual, u, bcs, Solver(), prefix="test_dirichlet_rows_", force_scale=1.0)


def dolfinx_residual(solver: NewtonSolver, bcs) -> np.ndarray:
    """The residual as dolfinx's own SNES callback assembles it (always lifting) at the current x."""
    problem = solver.problem
    b = problem.b.duplicate()
    dolfinx.fem.petsc.assemble_residual(None, problem.x, b, problem.u, problem.F, problem.J, bcs)
    return b.getArray().copy()


def our_residual(solver: NewtonSolver) -> np.ndarray:
    problem = solver.problem
    b = problem.b.duplicate()
    problem.solver.computeFunction(problem.x, b)
    return b.getArray().copy()


def test_newton_lands_on_the_dirichlet_values():
    residual, u, bcs = stretched_cube()
    solver = solver_for(residual, u, bcs)
    stats = solver.solve()
    assert stats.converged and stats.krylov_iterations > stats.newton_iterations
    rows = DirichletRows(bcs, u)
    owned = u.x.array[rows.dofs]
    assert np.abs(owned - rows.values()).max(initial=0.0) <= 1e-15 * STRETCH
    assert MPI.COMM_WORLD.allreduce(np.count_nonzero(rows.values() == STRETCH)) == 36  # the 6 × 6 nodes of x = 1, u_x only
    solver.close()


@pytest.mark.parametrize("on_g", [True, False])
def test_residual_matches_dolfinx_with_and_without_lifting(on_g):
    """At x_D = g the skipped lifting changes nothing; off g the lifting is applied as dolfinx does."""
    residual, u, bcs = stretched_cube()
    solver = solver_for(residual, u, bcs)
    rng = np.random.default_rng(7 + MPI.COMM_WORLD.rank)
    x = solver.problem.x
    values = 0.01 * rng.standard_normal(x.getLocalSize())
    rows = DirichletRows(bcs, u)
    values[rows.dofs] = rows.values() + (0.0 if on_g else 0.003)
    x.setArray(values)
    x.ghostUpdate(addv=PETSc.InsertMode.INSERT, mode=PETSc.ScatterMode.FORWARD)
    assert rows.hold(x) is on_g
    ours, reference = our_residual(solver), dolfinx_residual(solver, bcs)
    scale = MPI.COMM_WORLD.allreduce(np.abs(reference).max(), op=MPI.MAX)
    assert MPI.COMM_WORLD.allreduce(np.abs(ours - reference).max(initial=0.0), op=MPI.MAX) <= 1e-13 * scale
    if not on_g:  # the lifting is not negligible there: skipping it would be caught
        free = np.setdiff1d(np.arange(x.getLocalSize()), rows.dofs)
        b = solver.problem.b.duplicate()
        with b.localForm() as local:
            local.set(0.0)
        dolfinx.fem.petsc.assemble_vector(b, solver.problem.F)
        b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        unlifted = b.getArray()[free]
        gap = MPI.COMM_WORLD.allreduce(np.abs(unlifted - reference[free]).max(initial=0.0), op=MPI.MAX)
        assert gap > 1e-3 * scale
    solver.close()


def test_hold_is_the_same_decision_on_every_rank():
    """One rank off g (by one part in 10⁹) makes every rank lift."""
    residual, u, bcs = stretched_cube()
    solver = solver_for(residual, u, bcs)
    rows = DirichletRows(bcs, u)
    x = solver.problem.x
    values = np.zeros(x.getLocalSize())
    values[rows.dofs] = rows.values()
    x.setArray(values)
    assert rows.hold(x)
    holders = MPI.COMM_WORLD.allgather(rows.dofs.size > 0)
    first = holders.index(True)
    if MPI.COMM_WORLD.rank == first:
        values[rows.dofs[np.argmax(np.abs(values[rows.dofs]))]] *= 1 + 1e-9
    x.setArray(values)
    assert not rows.hold(x)
    solver.close()
