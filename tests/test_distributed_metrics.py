"""Microstructure metrics measured on a distributed mesh (chemomech.microstructure.distributed_metrics).

The reference is ``mesh_metrics`` on the whole mesh's arrays, itself checked
against exact volumes, areas and lines in test_microstructure_metrics.py.
Each mesh is distributed from rank 0 with the ghost layer chemomech uses
(shared facets); under ``mpiexec -n 2`` the partition cuts through the
percolating clusters, the interfaces and the triple line.
"""

from __future__ import annotations

import basix.ufl
import numpy as np
import pytest
import ufl
from test_microstructure_metrics import centroids, cube_mesh, square_mesh, unit_box

from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.microstructure import mesh_metrics
from chemomech.microstructure.distributed_metrics import OwnedFacets, _local_clusters, distributed_mesh_metrics

COMM = MPI.COMM_WORLD


def distributed(points, cells, labels, ghost_mode=dolfinx.mesh.GhostMode.shared_facet):
    """The mesh of ``points``, ``cells`` over COMM_WORLD (read on rank 0) and its cell tags ``labels``
    on the owned cells (the metrics pass them to the ghosts)."""
    gdim = points.shape[1]
    shape = "tetrahedron" if gdim == 3 else "triangle"
    element = ufl.Mesh(basix.ufl.element("Lagrange", shape, 1, shape=(gdim,)))
    root = COMM.rank == 0
    partitioner = dolfinx.mesh.create_cell_partitioner(ghost_mode, 2) if COMM.size > 1 else None
    mesh = dolfinx.mesh.create_mesh(
        COMM, cells.astype(np.int64) if root else np.zeros((0, gdim + 1), dtype=np.int64), element,
        points if root else np.zeros((0, gdim)), partitioner,
    )
    tdim = mesh.topology.dim
    cell_map = mesh.topology.index_map(tdim)
    owned = np.arange(cell_map.size_local, dtype=np.int32)
    original = np.asarray(mesh.topology.original_cell_index)[owned]
    all_labels = COMM.bcast(labels if root else None, root=0)
    tags = dolfinx.mesh.meshtags(mesh, tdim, owned, all_labels[original].astype(np.int32))
    return mesh, tags


def assert_same_metrics(got, expected, where: str = "metrics") -> None:
    """The same keys in the same order, flags and counts equal, measures to round-off."""
    if isinstance(expected, dict):
        assert list(got) == list(expected), where
        for key, value in expected.items():
            assert_same_metrics(got[key], value, f"{where}[{key!r}]")
    elif isinstance(expected, bool | int):
        assert got == expected, where
    else:
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-16), where


def three_phase_cube(length: float):
    """A column of A through the cube (percolates), a blob of B, halves of C touching one face each, and
    D around them; A, B, D meet along lines."""
    points, cells = cube_mesh(6, length)
    c = centroids(points, cells) / length
    column = (np.abs(c[:, 0] - 0.5) < 1 / 6) & (np.abs(c[:, 1] - 0.5) < 1 / 6)
    blob = np.all(np.abs(c - np.array([0.5, 0.5 + 1 / 3, 0.5])) < 1 / 6, axis=1)
    halves = ((c[:, 0] < 1 / 6) & (c[:, 1] < 1 / 6) & (c[:, 2] < 0.5)) | (
        (c[:, 0] > 5 / 6) & (c[:, 1] > 5 / 6) & (c[:, 2] > 0.5)
    )
    labels = np.select([column, blob, halves], [1, 2, 3], default=4)
    return points, cells, labels, {1: "A", 2: "B", 3: "C", 4: "D"}


@pytest.mark.parametrize("length", [1.0, 20e-6])
def test_three_phase_cube_metrics_match_the_serial_ones(length):
    points, cells, labels, names = three_phase_cube(length)
    box = unit_box(3, length)
    serial = mesh_metrics(points, cells, labels, names, box=box, triple=("A", "B", "D"))
    mesh, tags = distributed(points, cells, labels)
    result = distributed_mesh_metrics(mesh, tags, names, box=box, triple=("A", "B", "D"))
    assert_same_metrics(result, serial)
    assert result["percolation"]["A"]["percolates"] and not result["percolation"]["C"]["percolates"]
    # the rim of the A/B contact square, a third of the side long
    assert result["triple_phase_boundary_length [m]"] == pytest.approx(4 * length / 3, rel=1e-12)


@pytest.mark.parametrize(("hole", "pore_area"), [((0.25, 0.75), 6 * 0.25), ((0.0, 0.5), 3 * 0.25)])
def test_void_phase_matches_the_serial_metrics(hole, pore_area):
    points, cells = cube_mesh(4)
    c = centroids(points, cells)
    keep = ~np.all((c > hole[0]) & (c < hole[1]), axis=1)
    labels = np.where(c[keep, 0] < 0.5, 1, 2)
    kept = cells[keep]
    used, inverse = np.unique(kept, return_inverse=True)  # dolfinx takes no unused points
    serial = mesh_metrics(points, kept, labels, {1: "A", 2: "B"}, box=unit_box(3), void_phase="pores")
    mesh, tags = distributed(points[used], inverse.reshape(kept.shape), labels)
    result = distributed_mesh_metrics(mesh, tags, {1: "A", 2: "B"}, box=unit_box(3), void_phase="pores")
    assert_same_metrics(result, serial)
    areas = result["interface_areas [m2]"]
    assert areas["A/pores"] + areas["B/pores"] == pytest.approx(pore_area, rel=1e-12)


def test_square_triple_points_and_percolation_match_the_serial_metrics():
    length = 3e-6
    points, cells = square_mesh(8, length)
    x, z = centroids(points, cells).T / length
    labels = np.where(x < 0.5, 1, np.where(z < 0.5, 2, 3))
    names, triple = {1: "active", 2: "electrolyte", 3: "carbon"}, ("active", "electrolyte", "carbon")
    serial = mesh_metrics(points, cells, labels, names, box=unit_box(2, length), triple=triple)
    mesh, tags = distributed(points, cells, labels)
    result = distributed_mesh_metrics(mesh, tags, names, box=unit_box(2, length), triple=triple)
    assert_same_metrics(result, serial)
    assert result["triple_phase_points [-]"] == 1


def test_a_winding_cluster_is_one_cluster_across_ranks():
    """A serpentine path of A cells up the cube: its label has to travel back and forth between the ranks."""
    points, cells = cube_mesh(8)
    c = np.floor(centroids(points, cells) * 8).astype(int)  # the sub-cube of every cell
    path = (c[:, 2] % 2 == 0) & (c[:, 1] == 0) | (c[:, 2] % 2 == 1) & (
        np.where((c[:, 2] // 2) % 2 == 0, c[:, 0] == 7, c[:, 0] == 0)
    )
    labels = np.where(path, 1, 2)
    serial = mesh_metrics(points, cells, labels, {1: "A", 2: "B"}, box=unit_box(3))
    mesh, tags = distributed(points, cells, labels)
    result = distributed_mesh_metrics(mesh, tags, {1: "A", 2: "B"}, box=unit_box(3))
    assert serial["percolation"]["A"]["percolates"]
    assert_same_metrics(result, serial)


def test_local_clusters_join_chains_given_in_any_order():
    rng = np.random.default_rng(3)
    n = 1000
    order = rng.permutation(n)  # one chain through all nodes, edges shuffled, plus an isolated tail
    a, b = order[:-101], order[1:-100]
    shuffle = rng.permutation(a.size)
    root = _local_clusters(n, a[shuffle], b[shuffle])
    assert np.unique(root[order[:-100]]).size == 1
    assert root[order[0]] == order[:-100].min()
    assert np.array_equal(root[order[-100:]], order[-100:])


def test_errors_are_raised_on_every_rank():
    points, cells = cube_mesh(2)
    labels = np.ones(len(cells), dtype=int)
    mesh, tags = distributed(points, cells, labels)
    with pytest.raises(ValueError, match="without a phase name"):
        distributed_mesh_metrics(mesh, tags, {2: "a"}, box=unit_box(3))
    with pytest.raises(ValueError, match="void_phase"):
        distributed_mesh_metrics(mesh, tags, {1: "a"}, box=unit_box(3), void_phase="a")
    if COMM.size > 1:
        bare, bare_tags = distributed(points, cells, labels, ghost_mode=dolfinx.mesh.GhostMode.none)
        with pytest.raises(ValueError, match="ghost"):
            distributed_mesh_metrics(bare, bare_tags, {1: "a"}, box=unit_box(3))


def test_a_facet_of_three_cells_is_refused():
    """Three tetrahedra on one triangle: not a conforming mesh (each rank builds it alone)."""
    points = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, -1], [1, 1, 1.0]])
    cells = np.array([[0, 1, 2, 3], [0, 1, 2, 4], [0, 1, 2, 5]], dtype=np.int64)
    element = ufl.Mesh(basix.ufl.element("Lagrange", "tetrahedron", 1, shape=(3,)))
    mesh = dolfinx.mesh.create_mesh(MPI.COMM_SELF, cells, element, points)
    with pytest.raises(ValueError, match="not conforming"):
        OwnedFacets(mesh, np.zeros(3), np.ones(3), 1e-9)
