"""Microstructure metrics of a distributed dolfinx mesh, measured by all its ranks together.

The quantities and their definitions are those of
chemomech.microstructure.metrics.mesh_metrics (volumes, interface areas,
triple-phase boundary, percolation along the last axis), here without
gathering the mesh on one rank: each rank measures what it owns and the
sums go over the ranks. On the cells' facet adjacency the mesh needs its
ghost layer across shared facets (``GhostMode.shared_facet``, how
chemomech distributes and reads every mesh), so that the owner of a facet
holds the cells on both sides of it.

- Volume of phase p: Σ over the owned cells of p of |det E| / d!.
- Interface a/b: Σ of the measures of the owned facets between a cell of a
  and one of b; a/<void>: owned exterior facets of a off the box faces.
- Triple-phase boundary: each rank marks, on the edges (3D) or vertices
  (2D) of its cells, which of the three phases the cells have; the marks
  are summed onto each entity's owner (a reverse scatter), which measures
  the entities that have all three.
- Percolation: the cells of one phase sharing a facet are one cluster.
  Each rank joins its cells into local clusters (union–find with pointer
  jumping); a cluster's label is the smallest global index of its cells.
  Labels go from ghost cells to their owners, which keep the smaller, and
  back, and each local cluster takes the smallest label of its cells,
  until no label changes on any rank: then every cluster, however many
  ranks it spans, has one label. A cluster percolates when labels touching
  the bottom face (z = lower, all vertices of a facet within the face
  tolerance) and the top face meet.

Every rank returns the same dict; the sums over ranks add in another
order than the serial sums, so values agree with mesh_metrics to round-off.
"""

from __future__ import annotations

import numpy as np

from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.microstructure.metrics import FACE_TOLERANCE, metrics_record, phase_index, simplex_measures


def distributed_mesh_metrics(mesh, cell_tags, phase_names: dict, *, box, void_phase=None, triple=None) -> dict:
    """Microstructure metrics of ``mesh`` (collective): the result of ``mesh_metrics`` on the whole mesh.

    ``cell_tags`` tag every cell with its phase label; ``phase_names``
    {label: name}; ``box`` (lower corner, upper corner) [m]; ``void_phase``
    the name of an unmeshed phase or None; ``triple`` an (active,
    electrolyte, carbon) tuple of phase names or None. Raises ValueError on
    every rank for a cell without a phase, a void phase that is meshed, or a
    mesh without the ghost layer across shared facets.
    """
    comm = mesh.comm
    lower, upper = (np.asarray(corner, dtype=float) for corner in box)
    box_volume = float(np.prod(upper - lower))
    names = list(dict.fromkeys(phase_names.values()))
    if void_phase in names:
        raise ValueError(f"void_phase {void_phase!r} is a meshed phase: {names}")
    cells = _Cells(mesh, cell_tags, phase_names, names)

    volumes = comm.allreduce(np.bincount(cells.phase[: cells.owned], weights=cells.volumes, minlength=len(names)))
    volume_dict = {name: float(v) for name, v in zip(names, volumes, strict=True)}
    if void_phase is not None:
        volume_dict[void_phase] = box_volume - float(volumes.sum())

    facets = OwnedFacets(mesh, lower, upper, FACE_TOLERANCE * float(np.max(upper - lower)))
    areas = _interface_areas(comm, facets, cells.phase, names, void_phase)
    result = metrics_record(volume_dict, areas, box_volume)
    if triple is not None:
        result.update(_triple_phase_boundary(mesh, cells.phase, names, triple, box_volume))
    result["percolation"] = _percolation(comm, facets, cells, names, box_volume)
    return result


class _Cells:
    """The local cells (owned, then ghosts): phase index, owned volumes, global indices."""

    def __init__(self, mesh, cell_tags, phase_names: dict, names: list):
        comm, tdim = mesh.comm, mesh.topology.dim
        cell_map = mesh.topology.index_map(tdim)
        self.owned = cell_map.size_local
        local = self.owned + cell_map.num_ghosts
        labels = dolfinx.la.vector(cell_map, 1, dtype=np.int64)  # the owners' labels reach the ghosts
        labels.array[:] = -1
        tagged = cell_tags.indices < local
        labels.array[cell_tags.indices[tagged]] = cell_tags.values[tagged]
        labels.scatter_forward()
        unknown = comm.allreduce(set(np.unique(labels.array[: self.owned]).tolist()) - set(phase_names), op=MPI.BOR)
        if unknown:
            raise ValueError(f"cell labels without a phase name: {sorted(unknown)}")
        self.phase = phase_index(labels.array, phase_names, names) if local else np.zeros(0, dtype=np.intp)
        nodes = mesh.geometry.dofmaps[0][: self.owned]
        self.volumes = simplex_measures(mesh.geometry.x[nodes][:, :, : mesh.geometry.dim])
        self.global_index = cell_map.local_to_global(np.arange(local, dtype=np.int32)).astype(np.int64)
        self.map = cell_map


class OwnedFacets:
    """A rank's owned facets: the cells on either side of the interior ones, and the exterior ones
    with their cell and the faces of the box [lower, upper] they lie on (all vertices within ``tol``).

    Raises ValueError on every rank for a facet of more than two cells (a
    non-conforming mesh) or a process-boundary facet without the ghost cell
    on its other side.
    """

    def __init__(self, mesh, lower: np.ndarray, upper: np.ndarray, tol: float):
        topology, tdim = mesh.topology, mesh.topology.dim
        topology.create_connectivity(tdim - 1, tdim)
        self.mesh, self.dim = mesh, tdim - 1
        self.owned = owned = topology.index_map(tdim - 1).size_local
        to_cells = topology.connectivity(tdim - 1, tdim)
        offsets, links = to_cells.offsets, to_cells.array
        counts = np.diff(offsets[: owned + 1])
        if mesh.comm.allreduce(bool((counts > 2).any()), op=MPI.LOR):
            raise ValueError("the mesh is not conforming: a facet is shared by more than two cells")
        exterior = dolfinx.mesh.exterior_facet_indices(topology)
        self.exterior = exterior[exterior < owned]
        lacking = np.count_nonzero(counts == 1) != self.exterior.size  # a process-boundary facet without its ghost
        if mesh.comm.allreduce(lacking, op=MPI.LOR):
            raise ValueError("the mesh lacks the ghost cells across shared facets (GhostMode.shared_facet)")
        self.interior = np.flatnonzero(counts == 2)
        start = offsets[self.interior]
        self.interior_cells = np.stack([links[start], links[start + 1]], axis=1)
        self.exterior_cells = links[offsets[self.exterior]]
        # on_face[f, axis, side]: all vertices of exterior facet f on the lower (0) / upper (1) face of that axis
        corners = self.points(self.exterior)
        self.on_face = np.stack(
            [np.all(np.abs(corners - lower) <= tol, axis=1), np.all(np.abs(corners - upper) <= tol, axis=1)], axis=-1
        )

    def points(self, facets: np.ndarray) -> np.ndarray:
        """Vertex coordinates of ``facets``, (n, vertices, gdim)."""
        nodes = dolfinx.mesh.entities_to_geometry(self.mesh, self.dim, facets.astype(np.int32))
        return self.mesh.geometry.x[nodes][:, :, : self.mesh.geometry.dim]


def _interface_areas(comm, facets: OwnedFacets, phase: np.ndarray, names: list, void_phase) -> dict[str, float]:
    """Area per pair of phases sharing owned facets, plus phase/void over exterior facets off the box faces."""
    n = len(names) + 1  # pair (i, j), i < j, has code i n + j; the void phase has index len(names)
    a, b = phase[facets.interior_cells[:, 0]], phase[facets.interior_cells[:, 1]]
    between = a != b
    codes = [np.minimum(a, b)[between] * n + np.maximum(a, b)[between]]
    weights = [simplex_measures(facets.points(facets.interior[between]))]
    if void_phase is not None:
        pores = ~facets.on_face.any(axis=(1, 2))
        codes.append(phase[facets.exterior_cells[pores]] * n + len(names))
        weights.append(simplex_measures(facets.points(facets.exterior[pores])))
    codes, weights = np.concatenate(codes), np.concatenate(weights)
    counts = comm.allreduce(np.bincount(codes, minlength=n * n))
    sums = comm.allreduce(np.bincount(codes, weights=weights, minlength=n * n))
    all_names = [*names, void_phase]
    return {f"{all_names[c // n]}/{all_names[c % n]}": float(sums[c]) for c in np.flatnonzero(counts)}


def _triple_phase_boundary(mesh, phase: np.ndarray, names: list, triple, box_volume: float) -> dict:
    """3D: length of the edges in cells of all three phases; 2D: number of such vertices; and the density."""
    missing = [name for name in triple if name not in names]
    if len(triple) != 3 or missing:
        raise ValueError(f"triple must name three meshed phases of {names}, got {triple!r}")
    topology, tdim = mesh.topology, mesh.topology.dim
    dim = 1 if tdim == 3 else 0  # edges in 3D, vertices in 2D
    topology.create_entities(dim)
    topology.create_connectivity(tdim, dim)
    topology.create_connectivity(dim, tdim)  # for the edges' geometry nodes
    entity_map = topology.index_map(dim)
    of_cell = topology.connectivity(tdim, dim).array.reshape(len(phase), -1)
    marks = dolfinx.la.vector(entity_map, 3, dtype=np.int32)
    marks.array[:] = 0
    for column, name in enumerate(triple):
        marks.array[of_cell[phase == names.index(name)].ravel() * 3 + column] = 1
    marks.scatter_reverse(dolfinx.la.InsertMode.add)  # the ghosts' marks onto the owners
    shared = np.flatnonzero((marks.array[: entity_map.size_local * 3].reshape(-1, 3) > 0).all(axis=1))
    if tdim == 3:
        nodes = dolfinx.mesh.entities_to_geometry(mesh, 1, shared.astype(np.int32))
        length = mesh.comm.allreduce(float(simplex_measures(mesh.geometry.x[nodes]).sum()))
        return {
            "triple_phase_boundary_length [m]": length,
            "triple_phase_boundary_density [1/m2]": length / box_volume,
        }
    count = mesh.comm.allreduce(int(shared.size))
    return {"triple_phase_points [-]": count, "triple_phase_boundary_density [1/m2]": count / box_volume}


def _percolation(comm, facets: OwnedFacets, cells: _Cells, names: list, box_volume: float) -> dict:
    """Per phase: whether a facet-connected cluster of its cells joins bottom and top (last axis), and their volume."""
    a, b = facets.interior_cells[:, 0], facets.interior_cells[:, 1]
    same = cells.phase[a] == cells.phase[b]
    root = _local_clusters(len(cells.phase), a[same], b[same])
    labels = _global_labels(comm, cells, root)
    axis = facets.on_face.shape[1] - 1
    ends = []
    for side in (0, 1):  # the labels of clusters touching the bottom, then the top face
        touching = facets.exterior_cells[facets.on_face[:, axis, side]]
        ends.append(np.unique(np.concatenate(comm.allgather(np.unique(labels[touching])))))
    spanning = np.isin(labels[: cells.owned], np.intersect1d(*ends))
    owned_phase = cells.phase[: cells.owned]
    result = {}
    for index, name in enumerate(names):
        chosen = spanning & (owned_phase == index)
        result[name] = {
            "percolates": bool(comm.allreduce(bool(chosen.any()), op=MPI.LOR)),
            "percolating_fraction [-]": comm.allreduce(float(cells.volumes[chosen].sum())) / box_volume,
        }
    return result


def _local_clusters(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The root of each of ``n`` nodes in the graph of edges (a, b): union–find, hooking roots onto
    smaller roots, then pointer jumping until every node points at its root."""
    parent = np.arange(n)
    while True:
        ra, rb = parent[a], parent[b]
        apart = ra != rb
        if not apart.any():
            return parent
        a, b = a[apart], b[apart]
        ra, rb = ra[apart], rb[apart]
        np.minimum.at(parent, np.maximum(ra, rb), np.minimum(ra, rb))
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand


def _global_labels(comm, cells: _Cells, root: np.ndarray) -> np.ndarray:
    """The smallest global cell index of each local cell's cluster over all ranks (collective)."""
    exchange = _GhostExchange(comm, cells.map)
    labels = cells.global_index.copy()
    while True:
        smallest = np.full(len(labels), np.iinfo(np.int64).max)
        np.minimum.at(smallest, root, labels)
        settled = smallest[root]
        exchange.keep_smallest(settled)
        if not comm.allreduce(bool((settled != labels).any()), op=MPI.LOR):
            return settled
        labels = settled


class _GhostExchange:
    """Ghost cells' values to their owners, which keep the smallest, and the owners' values back to the ghosts."""

    def __init__(self, comm, cell_map):
        self.comm, self.owned = comm, cell_map.size_local
        owners = np.asarray(cell_map.owners)
        self.by_owner = np.argsort(owners, kind="stable")
        self.asked = np.bincount(owners, minlength=comm.size).astype(np.int64)
        self.asking = np.empty_like(self.asked)
        comm.Alltoall(self.asked, self.asking)
        questions = np.empty(int(self.asking.sum()), dtype=np.int64)
        ghosts = np.asarray(cell_map.ghosts, dtype=np.int64)[self.by_owner]
        comm.Alltoallv([ghosts, self.asked], [questions, self.asking])
        self.shared = questions - cell_map.local_range[0]  # the owned cells others hold as ghosts

    def keep_smallest(self, values: np.ndarray) -> None:
        """values[owned] = min over the cell's copies; values[ghost] = its owner's (in place, int64)."""
        ghosts = self.owned + self.by_owner
        received = np.empty(len(self.shared), dtype=np.int64)
        self.comm.Alltoallv([np.ascontiguousarray(values[ghosts]), self.asked], [received, self.asking])
        np.minimum.at(values, self.shared, received)
        answers = np.ascontiguousarray(values[self.shared])
        back = np.empty(len(ghosts), dtype=np.int64)
        self.comm.Alltoallv([answers, self.asking], [back, self.asked])
        values[ghosts] = back
