"""Assembly block by block of cells (chemomech.solve.cell_blocks): the same vectors, matrices and
Newton path as the whole form, on 1 and 2 ranks, with the packed coefficients of one block at a time."""

import numpy as np
import pytest
import ufl
from test_premeshed import STACK

from chemomech.case.schema import Solver
from chemomech.dolfinx_compat import MPI, PETSc, dolfinx
from chemomech.solve import cell_blocks
from chemomech.solve.newton import NewtonSolver
from simulate import simulate

WORLD = MPI.COMM_WORLD


def tagged_cube(everywhere: bool = False):
    """(residual, u, bcs) of a neo-Hookean unit cube in two regions (x < 1/2: 1, else 2) with a
    traction on its top face (tag 3) and its bottom clamped; ``everywhere``: dx without ids."""
    mesh = dolfinx.mesh.create_unit_cube(WORLD, 6, 6, 6, dolfinx.mesh.CellType.tetrahedron)
    tdim = mesh.topology.dim
    cells = np.arange(mesh.topology.index_map(tdim).size_local, dtype=np.int32)
    left = dolfinx.mesh.compute_midpoints(mesh, tdim, cells)[:, 0] < 0.5
    cell_tags = dolfinx.mesh.meshtags(mesh, tdim, cells, np.where(left, 1, 2).astype(np.int32))
    top = dolfinx.mesh.locate_entities_boundary(mesh, tdim - 1, lambda x: np.isclose(x[2], 1.0))
    facet_tags = dolfinx.mesh.meshtags(mesh, tdim - 1, top, np.full(len(top), 3, dtype=np.int32))
    space = dolfinx.fem.functionspace(mesh, ("Lagrange", 1, (3,)))
    u, v = dolfinx.fem.Function(space), ufl.TestFunction(space)
    dx = ufl.Measure("dx", domain=mesh, subdomain_data=cell_tags, metadata={"quadrature_degree": 1})
    ds = ufl.Measure("ds", domain=mesh, subdomain_data=facet_tags)
    x = ufl.SpatialCoordinate(mesh)
    f = ufl.Identity(3) + ufl.grad(u)
    j = ufl.det(f)
    stiffness = 1.0 + x[0]  # varies inside the cells: the quadrature points differ between blocks
    energy = stiffness * (0.5 * (ufl.tr(f.T * f) - 3 - 2 * ufl.ln(j)) + 0.5 * ufl.ln(j) ** 2)
    volume = dx if everywhere else dx((1, 2))
    residual = ufl.derivative(energy * volume, u, v) - 0.2 * v[2] * ds(3)
    bottom = dolfinx.mesh.locate_entities_boundary(mesh, tdim - 1, lambda x: np.isclose(x[2], 0.0))
    clamp = dolfinx.fem.dirichletbc(np.zeros(3), dolfinx.fem.locate_dofs_topological(space, tdim - 1, bottom), space)
    return residual, u, [clamp]


def _forms(everywhere: bool = False):
    residual, u, bcs = tagged_cube(everywhere)
    u.interpolate(lambda x: 0.05 * np.array([x[1] * x[2], -x[0] * x[2], x[0] ** 2]))
    jacobian = ufl.derivative(residual, u)
    return dolfinx.fem.form(residual), dolfinx.fem.form(jacobian), u, bcs


def _global(vector: PETSc.Vec) -> np.ndarray:
    vector.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    return np.concatenate(WORLD.allgather(vector.getArray().copy()))


def test_blocks_assemble_the_whole_vector_and_matrix():
    F, J, u, bcs = _forms()
    F_blocks, J_blocks = cell_blocks.cell_blocks(F, size=100), cell_blocks.cell_blocks(J, size=100)
    cells = u.function_space.mesh.topology.index_map(3)
    expected = -(-WORLD.allreduce(cells.size_local + cells.num_ghosts, op=MPI.MAX) // 100)
    assert len(F_blocks) == len(J_blocks) == expected > 1
    assert WORLD.allgather(len(F_blocks)) == [expected] * WORLD.size

    whole = dolfinx.fem.petsc.assemble_vector(F)
    blocked = dolfinx.fem.petsc.create_vector(u.function_space)
    cell_blocks.assemble_vector(blocked, F_blocks)
    whole, blocked = _global(whole), _global(blocked)
    assert np.abs(blocked - whole).max() <= 1e-13 * np.abs(whole).max()

    A = dolfinx.fem.petsc.assemble_matrix(J, bcs, diag=1.0)
    A.assemble()
    B = dolfinx.fem.petsc.create_matrix(J)
    cell_blocks.assemble_matrix(B, J_blocks, bcs)
    # The Dirichlet diagonal is 1, set (not added) by each block.
    dofs, owned = bcs[0].dof_indices()
    assert owned == 0 or np.all(B.getDiagonal().getArray()[dofs[:owned]] == 1.0)
    norm = A.norm()
    B.axpy(-1.0, A)
    assert B.norm() <= 1e-13 * norm


def test_blocks_lift_as_the_whole_form():
    """b − Σ_k A_k (g − x0) by blocks equals dolfinx's lifting by the whole form, for g ≠ x0."""
    _, J, u, _ = _forms()
    space = u.function_space
    bottom = dolfinx.mesh.locate_entities_boundary(space.mesh, 2, lambda x: np.isclose(x[2], 0.0))
    g = dolfinx.fem.Function(space)
    g.interpolate(lambda x: 0.1 * np.array([x[1], x[0], x[0] * x[1] + 1.0]))
    bcs = [dolfinx.fem.dirichletbc(g, dolfinx.fem.locate_dofs_topological(space, 2, bottom))]
    whole, blocked = dolfinx.fem.petsc.create_vector(space), dolfinx.fem.petsc.create_vector(space)
    dolfinx.fem.petsc.apply_lifting(whole, [J], bcs=[bcs], x0=[u.x.petsc_vec], alpha=-1.0)
    cell_blocks.apply_lifting(blocked, cell_blocks.cell_blocks(J, size=100), bcs, x0=u.x.petsc_vec, alpha=-1.0)
    whole, blocked = _global(whole), _global(blocked)
    assert np.abs(whole).max() > 1e-3
    assert np.abs(blocked - whole).max() <= 1e-13 * np.abs(whole).max()


def test_each_cell_and_facet_in_one_block():
    """The blocks' integration entities are the whole form's, each once; facets go with the first block."""
    F, _, _, _ = _forms()
    blocks = cell_blocks.cell_blocks(F, size=100)
    ids = cell_blocks.integral_ids(F)
    for kind, values in ids.items():
        whole = [F._cpp_object.domains(kind, i).reshape(-1) for i in range(len(values))]
        parts = [[block._cpp_object.domains(kind, i).reshape(-1) for i in range(len(values))] for block in blocks]
        for i in range(len(values)):
            assert np.array_equal(np.sort(np.concatenate([part[i] for part in parts])), np.sort(whole[i]))
        if kind == dolfinx.fem.IntegralType.exterior_facet:
            assert all(len(entities) == 0 for part in parts[1:] for entities in part)


def test_a_form_with_an_integral_over_everything_stays_whole():
    """dolfinx takes every cell for an integral without an id, whatever cells it is given."""
    F, J, _, _ = _forms(everywhere=True)
    assert cell_blocks.cell_blocks(F, size=100) == [F]
    assert cell_blocks.cell_blocks(J, size=100) == [J]


def test_a_small_mesh_stays_whole():
    F, _, _, _ = _forms()
    assert cell_blocks.cell_blocks(F) == [F]


def _newton(monkeypatch, size):
    if size is not None:
        monkeypatch.setattr(cell_blocks, "CHUNK", size)
    residual, u, bcs = tagged_cube()
    solver = NewtonSolver(residual, u, bcs, Solver(), prefix="test_cell_blocks_", force_scale=1.0)
    blocks = len(solver._jacobian_blocks)
    stats = solver.solve()
    solver.close()
    assert stats.converged
    return u.x.array.copy(), stats.newton_iterations, stats.krylov_iterations, blocks


def test_newton_by_blocks_takes_the_same_path(monkeypatch):
    u_whole, newton_whole, krylov_whole, one = _newton(monkeypatch, None)
    u_blocks, newton_blocks, krylov_blocks, several = _newton(monkeypatch, 100)
    assert one == 1 and several > 1
    assert newton_blocks == newton_whole and abs(krylov_blocks - krylov_whole) <= 1
    scale = WORLD.allreduce(np.abs(u_whole).max(), op=MPI.MAX)
    assert WORLD.allreduce(np.abs(u_blocks - u_whole).max(initial=0.0), op=MPI.MAX) <= 1e-9 * scale


@pytest.mark.parametrize("size", [40])
def test_a_stack_case_by_blocks(monkeypatch, size):
    """The whole run path (mechanics over its regions, the preload and lithiation solves, the load
    cell's reaction over the plunger's cells) gives the same sensor readings by blocks."""
    _, whole = simulate(STACK)
    monkeypatch.setattr(cell_blocks, "CHUNK", size)
    split, split_form = [], cell_blocks.cell_blocks

    def recorded(form, size=None):  # the Newton solvers' residuals and Jacobians
        split.append(split_form(form, size))
        return split[-1]

    monkeypatch.setattr(cell_blocks, "cell_blocks", recorded)
    _, blocked = simulate(STACK)
    assert split and all(len(blocks) > 1 for blocks in split)
    assert len(blocked) == len(whole)
    for (_, p_whole, d_whole), (_, p_blocked, d_blocked) in zip(whole, blocked, strict=True):
        assert p_blocked == pytest.approx(p_whole, rel=1e-8, abs=1e-3)
        assert d_blocked == pytest.approx(d_whole, rel=1e-8, abs=1e-15)
