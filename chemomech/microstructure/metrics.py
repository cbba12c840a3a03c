"""Microstructure metrics of a phase-tagged simplex mesh of a box RVE (pure numpy/scipy).

``mesh_metrics`` measures a whole mesh given as arrays in one process: the
definitions below, and the reference that
chemomech.microstructure.distributed_metrics (what a run uses, on the
distributed dolfinx mesh, every rank measuring what it owns) is tested
against. The mesh is conforming: triangles in 2D, tetrahedra in 3D, each cell tagged
with the label of its phase. Facets (edges in 2D, triangles in 3D) are found
by sorting each cell's facet vertex tuples and finding the distinct rows
(``unique_rows``): a facet listed by two cells is interior, by one cell on
the mesh boundary.
Measures of k-simplices with edge vectors E (rows) are √det(E Eᵀ) / k!.

- Volume of phase p: Σ of its cells' volumes; fraction = volume / box volume.
  A ``void_phase`` (pores left as holes) has the box volume minus the meshed one.
- Interface a/b: Σ of the interior facets between cells of phases a and b;
  a/<void_phase>: the boundary facets of phase a that do not lie on a box face.
  Pair names follow the order of ``phase_names`` (first appearance of each
  name), the void phase last. Specific areas are areas per box volume.
- Triple-phase boundary of (active, electrolyte, carbon): in 3D the mesh edges
  that belong to cells of all three phases, total length [m]; in 2D the
  vertices that do, counted. Density: per box volume [1/m²] in both (a 2D TPB
  point is a line of unit depth).
- Percolation along the last axis (z): connected components of each phase's
  cells, neighbours sharing a facet (``scipy.sparse.csgraph``); a cell touches
  a face of the box when one of its facets lies on it (all its vertices within
  FACE_TOLERANCE times the largest box length of the face's plane). A phase percolates when one of
  its clusters touches both the bottom (z = lower) and the top face; its
  percolating fraction is the volume of such clusters per box volume (at most
  its volume fraction). The void phase is not meshed and gets no entry.

2D meshes describe a slab of unit depth: "volumes [m3]" are areas [m²] times
1 m and "interface_areas [m2]" are lengths [m] times 1 m, so the keys and the
specific areas [1/m] are the same in 2D and 3D.
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np

FACE_TOLERANCE = 1e-8
"""Tolerance, relative to the largest box length, for a vertex to lie on a box face."""


def _sorted_groups(rows: np.ndarray, n_vertices: int) -> tuple[np.ndarray, np.ndarray]:
    """(order, new): the stable permutation that sorts ``rows`` lexicographically, and, along
    the sorted rows, True where a row differs from the one before (the first of a group).

    Each row (v_0, …, v_{k−1}) becomes the integer Σ v_i n^(k−1−i), n =
    ``n_vertices``, whose sort is the rows' lexicographic sort: one 1D sort,
    an order of magnitude faster than sorting rows (2 s against 0.2 s for
    the 350k facets of an 86k-tetrahedron mesh). Where n^k would overflow
    int64 the rows are sorted column by column.
    """
    width = rows.shape[1]
    new = np.ones(len(rows), dtype=bool)
    if float(max(n_vertices, 1)) ** width >= 2.0**62:
        order = np.lexsort(rows.T[::-1])
        ordered = rows[order]
        new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
        return order, new
    keys = rows[:, 0].copy()
    for column in range(1, width):
        keys = keys * n_vertices + rows[:, column]
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    new[1:] = ordered[1:] != ordered[:-1]
    return order, new


def unique_rows(rows: np.ndarray, n_vertices: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of non-negative vertex indices, sorted, and the index of each input row among them."""
    rows = np.asarray(rows, dtype=np.int64)
    order, new = _sorted_groups(rows, n_vertices)
    inverse = np.empty(len(rows), dtype=np.intp)
    inverse[order] = np.cumsum(new) - 1
    return rows[order[new]], inverse


def facet_neighbours(cells: np.ndarray, n_vertices: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The facets of a conforming simplex mesh and the cells on either side of each.

    Returns ``(facets, of_entry, first, second)``: the distinct facets as rows
    of sorted vertex indices in lexicographic order; the facet of each (cell,
    local facet) entry, cell-major, local facet k omitting vertex k; the cell
    on one side of each facet; the cell on the other, or -1 on the mesh
    boundary. Raises ValueError where more than two cells share a facet.
    One sort of the (cell, local facet) entries finds all of it.
    """
    n_local = cells.shape[1]
    local = [[j for j in range(n_local) if j != k] for k in range(n_local)]
    listed = np.sort(np.asarray(cells, dtype=np.int64)[:, local].reshape(-1, n_local - 1), axis=1)
    order, new = _sorted_groups(listed, n_vertices)
    start = np.flatnonzero(new)
    counts = np.diff(np.append(start, len(listed)))
    if counts.max(initial=0) > 2:
        raise ValueError("a facet is shared by more than two cells: the mesh is not a conforming simplex mesh")
    of_entry = np.empty(len(listed), dtype=np.intp)
    of_entry[order] = np.cumsum(new) - 1
    owner = order // n_local  # the cell of each entry, grouped by facet, in cell order within a group
    second = np.where(counts == 2, owner[np.minimum(start + 1, len(owner) - 1)], -1)
    return listed[order[start]], of_entry, owner[start], second


def simplex_measures(vertices: np.ndarray) -> np.ndarray:
    """Measures of k-simplices given as vertex coordinates (n, k + 1, gdim): √det(E Eᵀ) / k!.

    Evaluated in closed form where it has one (an order of magnitude faster
    than batched LAPACK determinants): |E| for an edge, |e₁ × e₂| / 2 for a
    triangle in 3D, |det E| / k! for a full-dimensional simplex (det(E Eᵀ)
    = det(E)²).
    """
    edges = vertices[:, 1:] - vertices[:, :1]
    k, gdim = edges.shape[1], edges.shape[2]
    if k == 1:
        return np.linalg.norm(edges[:, 0], axis=1)
    if k == 2 and gdim == 3:
        return 0.5 * np.linalg.norm(np.cross(edges[:, 0], edges[:, 1]), axis=1)
    if k == 2 and gdim == 2:
        return 0.5 * np.abs(edges[:, 0, 0] * edges[:, 1, 1] - edges[:, 0, 1] * edges[:, 1, 0])
    if k == 3 and gdim == 3:
        return np.abs(np.einsum("ij,ij->i", edges[:, 0], np.cross(edges[:, 1], edges[:, 2]))) / 6.0
    gram = edges @ np.swapaxes(edges, 1, 2)
    return np.sqrt(np.maximum(np.linalg.det(gram), 0.0)) / math.factorial(k)


def mesh_metrics(points, cells, labels, phase_names, *, box, void_phase=None, triple=None) -> dict:
    """Volume fractions, interface areas, triple-phase boundary and percolation (see the module docstring).

    ``points`` (N, gdim) [m]; ``cells`` (M, gdim + 1) vertex indices; ``labels``
    (M,) phase labels; ``phase_names`` {label: name}; ``box`` (lower corner,
    upper corner) [m]; ``void_phase`` the name of an unmeshed phase or None;
    ``triple`` an (active, electrolyte, carbon) tuple of phase names or None.
    Returns a JSON-serialisable dict.
    """
    points, cells, labels = np.asarray(points, dtype=float), np.asarray(cells, dtype=np.intp), np.asarray(labels)
    gdim = points.shape[1]
    if gdim not in (2, 3) or cells.ndim != 2 or cells.shape[1] != gdim + 1 or labels.shape != (len(cells),):
        raise ValueError(
            f"need points (N, 2|3), cells (M, gdim + 1) and labels (M,), got {points.shape}, {cells.shape}, "
            f"{labels.shape}"
        )
    lower, upper = (np.asarray(corner, dtype=float) for corner in box)
    box_volume = float(np.prod(upper - lower))
    names = list(dict.fromkeys(phase_names.values()))
    if void_phase in names:
        raise ValueError(f"void_phase {void_phase!r} is a meshed phase: {names}")
    unknown = set(np.unique(labels).tolist()) - set(phase_names)
    if unknown:
        raise ValueError(f"cell labels without a phase name: {sorted(unknown)}")
    phase = phase_index(labels, phase_names, names)

    cell_volumes = simplex_measures(points[cells])
    volumes = np.bincount(phase, weights=cell_volumes, minlength=len(names))
    volume_dict = {name: float(v) for name, v in zip(names, volumes, strict=True)}
    if void_phase is not None:
        volume_dict[void_phase] = box_volume - float(cell_volumes.sum())

    facets = _Facets(points, cells, lower, upper)
    areas = _interface_areas(facets, phase, names, void_phase)
    result = metrics_record(volume_dict, areas, box_volume)
    if triple is not None:
        result.update(_triple_phase_boundary(points, cells, phase, names, triple, box_volume))
    result["percolation"] = _percolation(facets, phase, names, cell_volumes, box_volume)
    return result


def metrics_record(volumes: dict[str, float], areas: dict[str, float], box_volume: float) -> dict:
    """The volume and interface entries of the metrics: volumes [m³] and areas [m²] with their
    fractions and specific areas per box volume."""
    return {
        "volume_fractions [-]": {name: v / box_volume for name, v in volumes.items()},
        "volumes [m3]": volumes,
        "interface_areas [m2]": areas,
        "specific_interface_areas [1/m]": {pair: a / box_volume for pair, a in areas.items()},
    }


def phase_index(labels: np.ndarray, phase_names: dict, names: list) -> np.ndarray:
    """Index into ``names`` of every cell's phase."""
    keys, inverse = np.unique(labels, return_inverse=True)
    return np.array([names.index(phase_names[key]) for key in keys.tolist()], dtype=np.intp)[inverse.reshape(-1)]


class _Facets:
    """The mesh's facets: vertices, measures, the cells on either side and which box faces they lie on."""

    def __init__(self, points: np.ndarray, cells: np.ndarray, lower: np.ndarray, upper: np.ndarray):
        n_cells, n_local = cells.shape
        self.vertices, self.of_entry, first, second = facet_neighbours(cells, len(points))
        interior = second >= 0
        self.interior_cells = np.stack([first[interior], second[interior]], axis=1)
        self.interior = np.flatnonzero(interior)
        self.boundary = np.flatnonzero(~interior)
        self.boundary_cells = first[self.boundary]
        self.measures = simplex_measures(points[self.vertices])
        # on_face[f, axis, side]: all vertices of facet f on the lower (side 0) / upper (side 1) face of that axis
        x = points[self.vertices]
        tol = FACE_TOLERANCE * float(np.max(upper - lower))
        self.on_face = np.stack(
            [np.all(np.abs(x - lower) <= tol, axis=1), np.all(np.abs(x - upper) <= tol, axis=1)], axis=-1
        )
        self.n_cells, self.n_local = n_cells, n_local

    def cells_touching(self, axis: int, side: int) -> np.ndarray:
        """Boolean per cell: one of its facets lies on that face of the box."""
        touching = np.zeros(self.n_cells, dtype=bool)
        touching[np.flatnonzero(self.on_face[self.of_entry, axis, side]) // self.n_local] = True
        return touching


def _interface_areas(facets: _Facets, phase: np.ndarray, names: list, void_phase) -> dict[str, float]:
    """Area per pair of phases sharing facets, plus phase/void over the mesh boundary off the box faces."""
    n = len(names) + 1  # pair (i, j), i < j, has code i n + j; the void phase has index len(names)
    a, b = phase[facets.interior_cells[:, 0]], phase[facets.interior_cells[:, 1]]
    between = a != b
    codes = [np.minimum(a, b)[between] * n + np.maximum(a, b)[between]]
    weights = [facets.measures[facets.interior[between]]]
    if void_phase is not None:
        pores = ~facets.on_face[facets.boundary].any(axis=(1, 2))
        codes.append(phase[facets.boundary_cells[pores]] * n + len(names))
        weights.append(facets.measures[facets.boundary[pores]])
    present, inverse = np.unique(np.concatenate(codes), return_inverse=True)
    sums = np.bincount(inverse.reshape(-1), weights=np.concatenate(weights))
    all_names = [*names, void_phase]
    return {f"{all_names[c // n]}/{all_names[c % n]}": float(area) for c, area in zip(present, sums, strict=True)}


def _triple_phase_boundary(points, cells, phase, names, triple, box_volume) -> dict:
    """3D: length of the edges in cells of all three phases; 2D: number of such vertices; and the density."""
    missing = [name for name in triple if name not in names]
    if len(triple) != 3 or missing:
        raise ValueError(f"triple must name three meshed phases of {names}, got {triple!r}")
    gdim = points.shape[1]
    if gdim == 3:
        local = np.array(list(combinations(range(4), 2)))
        listed = np.sort(cells[:, local].reshape(-1, 2), axis=1)
        entities, inverse = unique_rows(listed, len(points))
        per_cell = len(local)
    else:
        entities, inverse, per_cell = np.arange(len(points)), cells.reshape(-1), cells.shape[1]
    entry_phase = np.repeat(phase, per_cell)
    present = np.zeros((len(entities), 3), dtype=bool)
    for column, name in enumerate(triple):
        present[inverse[entry_phase == names.index(name)], column] = True
    shared = present.all(axis=1)
    if gdim == 3:
        length = float(simplex_measures(points[entities[shared]]).sum())
        return {
            "triple_phase_boundary_length [m]": length,
            "triple_phase_boundary_density [1/m2]": length / box_volume,
        }
    count = int(shared.sum())
    return {"triple_phase_points [-]": count, "triple_phase_boundary_density [1/m2]": count / box_volume}


def _percolation(facets: _Facets, phase: np.ndarray, names: list, cell_volumes, box_volume) -> dict:
    """Per phase: whether a face-connected cluster of its cells joins bottom and top (last axis), and their volume."""
    a, b = facets.interior_cells[:, 0], facets.interior_cells[:, 1]
    same = phase[a] == phase[b]
    n = len(phase)
    from scipy.sparse import coo_matrix  # scipy costs 0.3 s to import: only where percolation is measured
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(same.sum()), (a[same], b[same])), shape=(n, n))
    _, cluster = connected_components(graph, directed=False)
    axis = facets.on_face.shape[1] - 1
    bottom = np.bincount(cluster, weights=facets.cells_touching(axis, 0)) > 0
    top = np.bincount(cluster, weights=facets.cells_touching(axis, 1)) > 0
    spanning = (bottom & top)[cluster]
    return {
        name: {
            "percolates": bool(np.any(spanning & (phase == index))),
            "percolating_fraction [-]": float(cell_volumes[spanning & (phase == index)].sum()) / box_volume,
        }
        for index, name in enumerate(names)
    }


def size_distribution(radii) -> dict:
    """Count, mean, standard deviation (population) and the 10th/50th/90th percentiles (number-weighted) of radii [m].

    The percentiles are of the radii themselves, not diameters, despite the
    customary names d10, d50, d90.
    """
    r = np.asarray(radii, dtype=float).ravel()
    if r.size == 0:
        raise ValueError("size_distribution needs at least one radius")
    d10, d50, d90 = np.percentile(r, [10, 50, 90])
    return {
        "count [-]": int(r.size),
        "mean [m]": float(r.mean()),
        "std [m]": float(r.std()),
        "d10 [m]": float(d10),
        "d50 [m]": float(d50),
        "d90 [m]": float(d90),
    }
