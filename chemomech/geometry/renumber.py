"""The mesh rebuilt with its vertices and cells numbered for memory locality.

DOLFINx numbers a mesh's cells, and then every Lagrange space's nodes, by
the Gibbs–Poole–Stockmeyer algorithm, level by level, with ties and the
order within a level taken from the order it is given. A gmsh tetrahedral
mesh comes in a scattered order, and so the rows of a matrix that follow one
another read vector entries far apart: on the inclusion benchmark a
matrix–vector product cost 38, 57 and 66 ns per dof at 50k, 200k and 1M
dofs (benchmarks/README.md, issue 9).

``renumbered`` rebuilds the mesh from its own, already distributed, cells
on every rank: the owned vertices in reverse Cuthill–McKee order of the
local vertex graph (two vertices adjacent where they share an edge),

    new global number of an owned vertex = the rank's first owned number + its RCM position,

ghost vertices named by their owners, the owned cells sorted by their
lowest and then highest new vertex number, the ghost cells kept as they
are. The partition, the ghosting across facets and every coordinate stay
the same; DOLFINx numbers the rebuilt mesh and its spaces from this order,
and the locality survives. Cell and facet tags are carried over (a cell
keeps the order of its vertices, so a tagged facet is the same local facet
of the same cell).

Only meshes of two or three dimensions with one cell type and one facet
type (no prisms) and a first-order geometry are rebuilt; any other mesh is
returned unchanged.
"""

from __future__ import annotations

import numpy as np
import ufl

from chemomech.dolfinx_compat import PETSc, dolfinx

_cpp = dolfinx.cpp


def renumbered(mesh, cell_tags, facet_tags):
    """(mesh, cell_tags, facet_tags) rebuilt in locality order (collective)."""
    topology = mesh.topology
    tdim = topology.dim
    one_type = tdim >= 2 and len(topology.entity_types[tdim]) == len(topology.entity_types[tdim - 1]) == 1
    if not one_type or mesh.geometry.cmaps[0].degree != 1:
        return mesh, cell_tags, facet_tags
    cells_old = topology.connectivity(tdim, 0).array.reshape(-1, _cpp.mesh.cell_num_entities(topology.cell_type, 0))
    new_global = _vertex_numbers(mesh)
    owned_cells = topology.index_map(tdim).size_local
    order = np.concatenate([_cell_order(new_global[cells_old[:owned_cells]]),
                            np.arange(owned_cells, cells_old.shape[0])])
    new_mesh = _rebuild(mesh, cells_old, new_global, order)
    old_to_new = np.empty_like(order)
    old_to_new[order] = np.arange(order.size, dtype=order.dtype)
    return (new_mesh,
            _carried_cell_tags(new_mesh, cell_tags, old_to_new),
            _carried_facet_tags(mesh, new_mesh, facet_tags, old_to_new))


def _vertex_numbers(mesh) -> np.ndarray:
    """New global index of every local vertex (owned, then ghosts)."""
    vertices = mesh.topology.index_map(0)
    rcm = _reverse_cuthill_mckee(_local_edges(mesh.topology), vertices.size_local + vertices.num_ghosts)
    owned_in_order = rcm[rcm < vertices.size_local]
    numbers = dolfinx.la.vector(vertices, 1, dtype=np.int64)
    numbers.array[owned_in_order] = vertices.local_range[0] + np.arange(owned_in_order.size)
    numbers.scatter_forward()
    return numbers.array.copy()


def _local_edges(topology) -> np.ndarray:
    """The mesh's edges as pairs of local vertices, (n, 2); created here if not yet there."""
    topology.create_entities(1)
    return topology.connectivity(1, 0).array.reshape(-1, 2)


def _reverse_cuthill_mckee(edges: np.ndarray, vertices: int) -> np.ndarray:
    """The ``vertices`` local vertices in reverse Cuthill–McKee order of the
    graph with ``edges`` (PETSc's ``MatGetOrdering`` "rcm" on the graph's
    adjacency matrix, on this process alone)."""
    if vertices == 0:
        return np.zeros(0, dtype=np.int32)
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    columns = np.concatenate([edges[:, 1], edges[:, 0]])
    offsets = np.zeros(vertices + 1, dtype=PETSc.IntType)
    np.cumsum(np.bincount(rows, minlength=vertices), out=offsets[1:])
    by_row = np.argsort(rows, kind="stable")
    adjacency = PETSc.Mat().createAIJ(
        (vertices, vertices), csr=(offsets, columns[by_row].astype(PETSc.IntType)), comm=PETSc.COMM_SELF)
    rows_order, columns_order = adjacency.getOrdering(PETSc.Mat.OrderingType.RCM)
    order = rows_order.getIndices().copy()
    for petsc_object in (rows_order, columns_order, adjacency):
        petsc_object.destroy()
    return order


def _cell_order(cell_vertices: np.ndarray) -> np.ndarray:
    """Owned cells sorted by their lowest, then their highest vertex number."""
    return np.lexsort((cell_vertices.max(axis=1), cell_vertices.min(axis=1)))


def _rebuild(mesh, cells_old: np.ndarray, new_global: np.ndarray, order: np.ndarray):
    topology = mesh.topology
    tdim = topology.dim
    cell_map = topology.index_map(tdim)
    cells = new_global[cells_old[order]].ravel()
    original = cell_map.local_to_global(order.astype(np.int32))
    new_topology = _cpp.mesh.create_topology(
        mesh.comm, [topology.cell_type], [cells], [original], [cell_map.owners],
        _boundary_vertices(topology, new_global), 0)
    # Affine geometry: the geometry nodes of a cell are its vertices, in the same order.
    coordinates = np.empty((new_global.size, 3), dtype=mesh.geometry.x.dtype)
    coordinates[cells_old.ravel()] = mesh.geometry.x[mesh.geometry.dofmaps[0].ravel()]
    by_number = np.argsort(new_global)
    geometry = _cpp.mesh.create_geometry(
        new_topology, [mesh.geometry.cmaps[0]._cpp_object], new_global[by_number], cells,
        coordinates[by_number, : mesh.geometry.dim].ravel(), mesh.geometry.dim)
    cpp_mesh = type(mesh._cpp_object)(mesh.comm, new_topology, geometry)
    return dolfinx.mesh.Mesh(cpp_mesh, ufl.Mesh(mesh.ufl_domain().ufl_coordinate_element()))


def _boundary_vertices(topology, new_global: np.ndarray) -> np.ndarray:
    """New numbers of the vertices on facets that have one owned cell (the
    outer boundary and the boundary with other ranks), sorted."""
    tdim = topology.dim
    topology.create_connectivity(tdim - 1, tdim)
    topology.create_connectivity(tdim - 1, 0)
    facet_cells = topology.connectivity(tdim - 1, tdim)
    owned_cells = topology.index_map(tdim).size_local
    owned = (facet_cells.array < owned_cells).astype(np.int32)
    owned_per_facet = np.add.reduceat(owned, facet_cells.offsets[:-1]) if owned.size else owned
    facets = np.flatnonzero(owned_per_facet == 1)
    facet_type = _cpp.mesh.cell_entity_type(topology.cell_type, tdim - 1, 0)
    vertices = topology.connectivity(tdim - 1, 0).array.reshape(-1, _cpp.mesh.cell_num_entities(facet_type, 0))[facets]
    return np.unique(new_global[vertices])


def _carried_cell_tags(new_mesh, tags, old_to_new: np.ndarray):
    tdim = new_mesh.topology.dim
    cells = old_to_new[tags.indices]
    by_cell = np.argsort(cells)
    return named_tags(new_mesh, tdim, cells[by_cell].astype(np.int32), tags.values[by_cell], tags.name)


def _carried_facet_tags(mesh, new_mesh, tags, old_to_new: np.ndarray):
    """The same facets in ``new_mesh``: a cell keeps its vertices' order, so
    a facet is the same local facet of the renumbered cell."""
    tdim = mesh.topology.dim
    mesh.topology.create_connectivity(tdim, tdim - 1)
    new_mesh.topology.create_connectivity(tdim, tdim - 1)
    new_mesh.topology.create_connectivity(tdim - 1, tdim)  # as the mesh readers leave it
    facet_cells = mesh.topology.connectivity(tdim - 1, tdim)
    width = _cpp.mesh.cell_num_entities(mesh.topology.cell_type, tdim - 1)
    cell_facets = mesh.topology.connectivity(tdim, tdim - 1).array.reshape(-1, width)
    cells = facet_cells.array[facet_cells.offsets[tags.indices]]
    local = np.argmax(cell_facets[cells] == tags.indices[:, None], axis=1)
    new_cell_facets = new_mesh.topology.connectivity(tdim, tdim - 1).array.reshape(-1, width)
    facets = new_cell_facets[old_to_new[cells], local]
    by_facet = np.argsort(facets)
    return named_tags(new_mesh, tdim - 1, facets[by_facet].astype(np.int32), tags.values[by_facet], tags.name)


def named_tags(mesh, dim: int, entities: np.ndarray, values: np.ndarray, name: str):
    """Mesh tags of dimension ``dim`` on the sorted local ``entities``, named ``name``."""
    tags = dolfinx.mesh.meshtags(mesh, dim, entities, values.astype(np.int32))
    tags.name = name
    return tags
