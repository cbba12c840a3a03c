"""The mesh renumbered for locality (chemomech.geometry.renumber) is the same mesh, with the
same regions and boundaries, and its matrix–vector product reads memory in a more local order;
on 1 and 2 ranks.

The input is a box of tetrahedra handed to DOLFINx with its nodes and cells shuffled, the
scattered order a gmsh mesh comes in. Cells are tagged 1 (x < 1/2) and 2, the six faces 1–6 and
the interior plane x = 1/2 is tagged 7 (an interface, integrated with dS across ranks).
"""

from collections import OrderedDict

import numpy as np
import pytest
import ufl

from chemomech.dolfinx_compat import MPI, dolfinx
import dolfinx.fem.petsc  # noqa: E402  (after the compat module sets up the MPI library path)
from chemomech.geometry.renumber import _reverse_cuthill_mckee, renumbered

N = 12  # box cells per side: 10,368 tetrahedra, 2,197 vertices


def _shuffled_box(comm, partition: bool = True):
    box = dolfinx.mesh.create_box(MPI.COMM_SELF, [[0, 0, 0], [1, 1, 1]], [N] * 3, dolfinx.mesh.CellType.tetrahedron)
    rng = np.random.default_rng(7)
    nodes = rng.permutation(box.geometry.x.shape[0])  # new position -> old node
    renamed = np.empty_like(nodes)
    renamed[nodes] = np.arange(nodes.size)
    cells = renamed[box.geometry.dofmaps[0]][rng.permutation(box.geometry.dofmaps[0].shape[0])]
    x = box.geometry.x[nodes]
    if comm.rank > 0:
        cells, x = cells[:0], x[:0]
    partitioner = dolfinx.mesh.create_cell_partitioner(dolfinx.mesh.GhostMode.shared_facet, 2) if partition else None
    element = ufl.Mesh(box.ufl_domain().ufl_coordinate_element())
    return dolfinx.mesh.create_mesh(comm, cells.astype(np.int64), element, x, partitioner)


def _tags(mesh):
    tdim = mesh.topology.dim
    local_cells = mesh.topology.index_map(tdim).size_local + mesh.topology.index_map(tdim).num_ghosts
    midpoints = dolfinx.mesh.compute_midpoints(mesh, tdim, np.arange(local_cells, dtype=np.int32))
    cell_tags = dolfinx.mesh.meshtags(
        mesh, tdim, np.arange(local_cells, dtype=np.int32), np.where(midpoints[:, 0] < 0.5, 1, 2).astype(np.int32))
    mesh.topology.create_connectivity(tdim - 1, tdim)
    facets, values = [], []
    planes = [(axis, value) for axis in range(3) for value in (0.0, 1.0)] + [(0, 0.5)]
    for tag, (axis, value) in enumerate(planes, start=1):
        found = dolfinx.mesh.locate_entities(mesh, tdim - 1, lambda x, a=axis, v=value: np.isclose(x[a], v))
        facets.append(found)
        values.append(np.full(found.size, tag, dtype=np.int32))
    facets, values = np.concatenate(facets), np.concatenate(values)
    order = np.argsort(facets)
    return cell_tags, dolfinx.mesh.meshtags(mesh, tdim - 1, facets[order], values[order])


@pytest.fixture(scope="module")
def meshes():
    comm = MPI.COMM_WORLD
    mesh = _shuffled_box(comm)
    cell_tags, facet_tags = _tags(mesh)
    return (mesh, cell_tags, facet_tags), renumbered(mesh, cell_tags, facet_tags)


def _integrals(mesh, cell_tags, facet_tags, interface: bool = True) -> np.ndarray:
    """Region volumes and moments, face (and interface) areas, and the norm of a vector stiffness matrix."""
    dx = ufl.Measure("dx", mesh, subdomain_data=cell_tags)
    ds = ufl.Measure("ds", mesh, subdomain_data=facet_tags)
    dS = ufl.Measure("dS", mesh, subdomain_data=facet_tags)
    x = ufl.SpatialCoordinate(mesh)
    forms = [1 * dx(1), 1 * dx(2), x[1] * x[2] ** 2 * dx(1), x[0] * x[1] * dx(2)]
    forms += [1 * ds(tag) for tag in range(1, 7)] + [x[2] ** 2 * ds(1)] + ([(1 + x[1]) * dS(7)] if interface else [])
    values = [mesh.comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(form)), op=MPI.SUM)
              for form in forms]
    space = dolfinx.fem.functionspace(mesh, ("Lagrange", 1, (3,)))
    u, v = ufl.TrialFunction(space), ufl.TestFunction(space)
    matrix = dolfinx.fem.petsc.assemble_matrix(
        dolfinx.fem.form(ufl.inner(ufl.grad(u), ufl.grad(v)) * dx(1) + 3 * ufl.inner(u, v) * ds(2)))
    matrix.assemble()
    values.append(matrix.norm())
    matrix.destroy()
    return np.array(values)


def test_the_renumbered_mesh_is_the_same_mesh_with_the_same_tags(meshes):
    before, after = meshes
    for dim in (0, 3):
        assert after[0].topology.index_map(dim).size_global == before[0].topology.index_map(dim).size_global
    assert after[0].topology.index_map(3).size_local == before[0].topology.index_map(3).size_local  # same partition
    expected, found = _integrals(*before), _integrals(*after)
    np.testing.assert_allclose(expected[:2], [0.5, 0.5], rtol=1e-12)
    np.testing.assert_allclose(expected[4:10], 1.0, rtol=1e-12)  # the six faces
    assert expected[11] == pytest.approx(1.5, rel=1e-12)  # ∫(1 + y) over the interface x = 1/2
    np.testing.assert_allclose(found, expected, rtol=1e-12)
    assert after[1].name == before[1].name and after[2].name == before[2].name


def test_ghost_cells_carry_their_owners_tags(meshes):
    mesh, cell_tags, _ = meshes[1]
    space = dolfinx.fem.functionspace(mesh, ("DG", 0))
    tags = dolfinx.fem.Function(space)
    tags.x.array[space.dofmap.list[cell_tags.indices, 0]] = cell_tags.values
    local = tags.x.array.copy()
    tags.x.scatter_forward()  # the owners' values over the ghosts
    np.testing.assert_array_equal(tags.x.array, local)


def _cache_misses(mesh, lines: int) -> int:
    """Cache-line misses of y = A x for the P1 vector Laplacian's pattern on this rank: rows in
    order, each reading the x of its columns (24 bytes per node) through an LRU cache of
    ``lines`` 64-byte lines."""
    space = dolfinx.fem.functionspace(mesh, ("Lagrange", 1, (3,)))
    cells = space.dofmap.list
    owned = space.dofmap.index_map.size_local
    neighbours = [set() for _ in range(owned + space.dofmap.index_map.num_ghosts)]
    for cell in cells:
        for node in cell:
            neighbours[node].update(cell)
    cache, misses = OrderedDict(), 0
    for row in range(owned):
        for column in sorted(neighbours[row]):
            line = 3 * column * 8 // 64
            if line in cache:
                cache.move_to_end(line)
            else:
                misses += 1
                cache[line] = None
                if len(cache) > lines:
                    cache.popitem(last=False)
    return misses


def test_the_matrix_vector_product_reads_memory_in_a_more_local_order(meshes):
    lines = 64  # 4 kB: a few rows' neighbourhoods, far less than the vector (53 kB)
    before, after = _cache_misses(meshes[0][0], lines), _cache_misses(meshes[1][0], lines)
    assert after < 0.8 * before, (before, after)


def test_a_rank_without_cells_takes_part():
    mesh = _shuffled_box(MPI.COMM_WORLD, partition=False)  # every cell stays on rank 0, no ghosts
    before = (mesh, *_tags(mesh))
    after = renumbered(*before)
    np.testing.assert_allclose(_integrals(*after, interface=False), _integrals(*before, interface=False), rtol=1e-12)


def test_a_one_dimensional_mesh_is_left_as_it_is():
    mesh = dolfinx.mesh.create_unit_interval(MPI.COMM_WORLD, 8)
    tags = dolfinx.mesh.meshtags(mesh, 1, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32))
    assert renumbered(mesh, tags, tags)[0] is mesh


def test_reverse_cuthill_mckee_lays_a_shuffled_chain_out_in_a_row():
    """A chain of 50 vertices under shuffled names, and a separate chain of 3: RCM visits each
    chain from one end to the other, so neighbours in a chain are neighbours in the order."""
    rng = np.random.default_rng(3)
    names = rng.permutation(53)
    chains = [names[:50], names[50:]]
    edges = np.concatenate([np.column_stack([chain[:-1], chain[1:]]) for chain in chains])
    order = _reverse_cuthill_mckee(edges[rng.permutation(len(edges))].astype(np.int32), 53)
    assert sorted(order) == list(range(53))
    position = np.empty(53, dtype=int)
    position[order] = np.arange(53)
    for chain in chains:
        assert np.all(np.abs(np.diff(position[chain])) == 1), position[chain]
