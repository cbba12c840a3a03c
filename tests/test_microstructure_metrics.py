"""Microstructure metrics on hand-checkable structured simplex meshes built here with numpy.

The unit cube (or square) is split into n³ cubes of six Kuhn tetrahedra (n²
squares of two triangles); phases are set by the cells' centroids, so every
phase boundary lies on grid planes and its area, the volumes and the
triple-phase line are known exactly.
"""

import json
import math
from itertools import permutations

import numpy as np
import pytest

from chemomech.microstructure import mesh_metrics, size_distribution
from chemomech.microstructure.metrics import facet_neighbours, simplex_measures, unique_rows


def cube_mesh(n: int, length: float = 1.0):
    """Points and tetrahedra of [0, length]³, n cubes per edge, six Kuhn tetrahedra per cube."""
    grid = np.stack(np.meshgrid(*[np.arange(n + 1)] * 3, indexing="ij"), axis=-1).reshape(-1, 3)
    cubes = np.stack(np.meshgrid(*[np.arange(n)] * 3, indexing="ij"), axis=-1).reshape(-1, 3)
    cells = []
    for order in permutations(range(3)):  # the path 0 → e_a → e_a + e_b → (1, 1, 1)
        path = [np.zeros(3, dtype=int)]
        for axis in order:
            path.append(path[-1] + np.eye(3, dtype=int)[axis])
        corners = cubes[:, None, :] + np.array(path)[None]
        cells.append((corners[..., 0] * (n + 1) + corners[..., 1]) * (n + 1) + corners[..., 2])
    return grid * (length / n), np.concatenate(cells)


def square_mesh(n: int, length: float = 1.0):
    """Points and triangles of [0, length]², n squares per edge, two triangles per square."""
    grid = np.stack(np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij"), axis=-1).reshape(-1, 2)
    i, j = (a.ravel() for a in np.meshgrid(np.arange(n), np.arange(n), indexing="ij"))
    v00, v10, v01, v11 = i * (n + 1) + j, (i + 1) * (n + 1) + j, i * (n + 1) + j + 1, (i + 1) * (n + 1) + j + 1
    cells = np.concatenate([np.stack([v00, v10, v11], axis=1), np.stack([v00, v11, v01], axis=1)])
    return grid * (length / n), cells


def centroids(points, cells):
    return points[cells].mean(axis=1)


def unit_box(dim, length=1.0):
    return np.zeros(dim), np.full(dim, length)


@pytest.mark.parametrize("length", [1.0, 2e-6])
def test_two_phase_cube_volumes_and_interface_are_exact(length):
    points, cells = cube_mesh(4, length)
    labels = np.where(centroids(points, cells)[:, 0] < length / 2, 1, 2)
    result = mesh_metrics(points, cells, labels, {1: "A", 2: "B"}, box=unit_box(3, length))
    assert result["volume_fractions [-]"] == pytest.approx({"A": 0.5, "B": 0.5}, rel=1e-12)
    assert result["volumes [m3]"] == pytest.approx({"A": length**3 / 2, "B": length**3 / 2}, rel=1e-12)
    assert result["interface_areas [m2]"] == pytest.approx({"A/B": length**2}, rel=1e-12)
    assert result["specific_interface_areas [1/m]"] == pytest.approx({"A/B": 1 / length}, rel=1e-12)
    assert "triple_phase_boundary_length [m]" not in result
    json.dumps(result)


def test_three_phase_cube_has_a_unit_triple_line_along_z():
    points, cells = cube_mesh(4)
    x, y = centroids(points, cells)[:, 0], centroids(points, cells)[:, 1]
    labels = np.where(x < 0.5, 1, np.where(y < 0.5, 2, 3))
    result = mesh_metrics(points, cells, labels, {1: "A", 2: "B", 3: "C"}, box=unit_box(3), triple=("A", "B", "C"))
    assert result["volume_fractions [-]"] == pytest.approx({"A": 0.5, "B": 0.25, "C": 0.25}, rel=1e-12)
    assert result["interface_areas [m2]"] == pytest.approx({"A/B": 0.5, "A/C": 0.5, "B/C": 0.5}, rel=1e-12)
    assert result["triple_phase_boundary_length [m]"] == pytest.approx(1.0, rel=1e-12)
    assert result["triple_phase_boundary_density [1/m2]"] == pytest.approx(1.0, rel=1e-12)
    # a triple of phases that never meet all three: no line
    names = {1: "A", 2: "B", 3: "C"}
    two = mesh_metrics(points, cells, np.where(x < 0.5, 1, 2), names, box=unit_box(3), triple=("A", "B", "C"))
    assert two["triple_phase_boundary_length [m]"] == 0.0
    json.dumps(result)


def test_three_phase_square_has_one_triple_point_and_unit_depth_quantities():
    length = 3e-6
    points, cells = square_mesh(6, length)
    x, z = centroids(points, cells).T
    labels = np.where(x < length / 2, 1, np.where(z < length / 2, 2, 3))
    names = {1: "active", 2: "electrolyte", 3: "carbon"}
    triple = ("active", "electrolyte", "carbon")
    result = mesh_metrics(points, cells, labels, names, box=unit_box(2, length), triple=triple)
    area = length**2
    assert result["volumes [m3]"] == pytest.approx({"active": area / 2, "electrolyte": area / 4, "carbon": area / 4})
    half = length / 2  # interface lengths per unit depth
    expected = {"active/electrolyte": half, "active/carbon": half, "electrolyte/carbon": half}
    assert result["interface_areas [m2]"] == pytest.approx(expected, rel=1e-12)
    assert result["specific_interface_areas [1/m]"] == pytest.approx({k: v / area for k, v in expected.items()})
    assert result["triple_phase_points [-]"] == 1
    assert result["triple_phase_boundary_density [1/m2]"] == pytest.approx(1 / area, rel=1e-12)
    json.dumps(result)


def test_pair_names_follow_the_order_of_phase_names():
    points, cells = square_mesh(2)
    labels = np.where(centroids(points, cells)[:, 0] < 0.5, 7, 3)
    result = mesh_metrics(points, cells, labels, {7: "zeta", 3: "alpha"}, box=unit_box(2))
    assert list(result["interface_areas [m2]"]) == ["zeta/alpha"]


def test_percolation_of_a_column_and_not_of_a_blob_or_two_half_columns():
    points, cells = cube_mesh(4)
    c = centroids(points, cells)
    in_column = (np.abs(c[:, 0] - 0.375) < 0.125) & (np.abs(c[:, 1] - 0.375) < 0.125)
    in_blob = np.all(np.abs(c - 0.625) < 0.125, axis=1)
    # two half columns: one touches the bottom, the other the top, and they do not touch each other
    in_halves = ((c[:, 0] < 0.25) & (c[:, 1] < 0.25) & (c[:, 2] < 0.5)) | (
        (c[:, 0] > 0.75) & (c[:, 1] > 0.75) & (c[:, 2] > 0.5)
    )
    labels = np.select([in_column, in_blob, in_halves], [1, 2, 3], default=4)
    names = {1: "column", 2: "blob", 3: "halves", 4: "matrix"}
    result = mesh_metrics(points, cells, labels, names, box=unit_box(3))["percolation"]
    assert result["column"] == {"percolates": True, "percolating_fraction [-]": pytest.approx(1 / 16, rel=1e-12)}
    assert result["blob"] == {"percolates": False, "percolating_fraction [-]": 0.0}
    assert result["halves"] == {"percolates": False, "percolating_fraction [-]": 0.0}
    matrix_fraction = 1 - 1 / 16 - 1 / 64 - 2 / 32
    assert result["matrix"]["percolates"]
    assert result["matrix"]["percolating_fraction [-]"] == pytest.approx(matrix_fraction, rel=1e-12)


def test_percolation_runs_along_the_last_axis_in_2d():
    points, cells = square_mesh(4)
    x, z = centroids(points, cells).T
    vertical = mesh_metrics(points, cells, np.where(x < 0.25, 1, 2), {1: "a", 2: "b"}, box=unit_box(2))
    horizontal = mesh_metrics(points, cells, np.where(z < 0.25, 1, 2), {1: "a", 2: "b"}, box=unit_box(2))
    assert vertical["percolation"]["a"]["percolates"]
    assert vertical["percolation"]["b"]["percolates"]
    # a bottom layer touches the bottom only, the rest the top only
    assert not horizontal["percolation"]["a"]["percolates"]
    assert not horizontal["percolation"]["b"]["percolates"]


@pytest.mark.parametrize(
    ("hole", "pore_area"),
    [
        ((0.25, 0.75), 6 * 0.25),  # a cube of side 1/2 inside: all six faces
        ((0.0, 0.5), 3 * 0.25),  # at a corner: its faces on the box faces are not pore surface
    ],
)
def test_void_phase_fraction_and_pore_surface(hole, pore_area):
    points, cells = cube_mesh(4)
    c = centroids(points, cells)
    keep = ~np.all((c > hole[0]) & (c < hole[1]), axis=1)
    cells = cells[keep]
    labels = np.where(c[keep, 0] < 0.5, 1, 2)
    result = mesh_metrics(points, cells, labels, {1: "A", 2: "B"}, box=unit_box(3), void_phase="pores")
    fractions = result["volume_fractions [-]"]
    assert fractions["pores"] == pytest.approx(0.125, rel=1e-12)
    assert fractions["A"] + fractions["B"] == pytest.approx(0.875, rel=1e-12)
    areas = result["interface_areas [m2]"]
    assert areas["A/pores"] + areas["B/pores"] == pytest.approx(pore_area, rel=1e-12)
    assert "pores" not in result["percolation"]
    json.dumps(result)


def test_invalid_inputs_raise():
    points, cells = square_mesh(2)
    labels = np.ones(len(cells), dtype=int)
    with pytest.raises(ValueError, match="without a phase name"):
        mesh_metrics(points, cells, labels, {2: "a"}, box=unit_box(2))
    with pytest.raises(ValueError, match="triple"):
        mesh_metrics(points, cells, labels, {1: "a"}, box=unit_box(2), triple=("a", "b", "c"))
    with pytest.raises(ValueError, match="void_phase"):
        mesh_metrics(points, cells, labels, {1: "a"}, box=unit_box(2), void_phase="a")
    with pytest.raises(ValueError, match="cells"):
        mesh_metrics(points, cells[:, :2], labels, {1: "a"}, box=unit_box(2))


def test_size_distribution():
    radii = np.arange(1, 11) * 1e-6
    result = size_distribution(radii)
    assert result["count [-]"] == 10
    assert result["mean [m]"] == pytest.approx(5.5e-6)
    assert result["std [m]"] == pytest.approx(np.sqrt(8.25) * 1e-6)
    assert (result["d10 [m]"], result["d50 [m]"], result["d90 [m]"]) == pytest.approx((1.9e-6, 5.5e-6, 9.1e-6))
    json.dumps(result)
    with pytest.raises(ValueError):
        size_distribution([])


@pytest.mark.parametrize(("k", "gdim"), [(1, 2), (1, 3), (2, 2), (2, 3), (3, 3)])
def test_simplex_measures_closed_forms_match_the_gram_determinant(k, gdim):
    """Edges, triangles and tetrahedra in closed form against √det(E Eᵀ)/k! (well-shaped random simplices)."""
    rng = np.random.default_rng(k * 10 + gdim)
    vertices = rng.random((500, k + 1, gdim))
    vertices[:, 1:] += 2.0 * np.eye(k, gdim)  # keep them far from degenerate
    edges = vertices[:, 1:] - vertices[:, :1]
    gram = np.sqrt(np.linalg.det(edges @ np.swapaxes(edges, 1, 2))) / math.factorial(k)
    assert np.allclose(simplex_measures(vertices), gram, rtol=1e-12)


def test_unit_right_simplices_have_their_exact_measures():
    assert simplex_measures(np.array([[[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]], float))[0] == pytest.approx(1 / 6)
    assert simplex_measures(np.array([[[0, 0, 0], [1, 0, 0], [0, 1, 0]]], float))[0] == pytest.approx(1 / 2)
    assert simplex_measures(np.array([[[0, 0], [0, 2], [3, 0]]], float))[0] == pytest.approx(3.0)


def test_facet_neighbours_of_two_tetrahedra_sharing_a_face():
    cells = np.array([[0, 1, 2, 3], [1, 2, 3, 4]])
    facets, of_entry, first, second = facet_neighbours(cells, 5)
    assert len(facets) == 7  # 4 + 4 faces, one shared
    shared = np.flatnonzero(second >= 0)
    assert facets[shared].tolist() == [[1, 2, 3]]
    assert (first[shared], second[shared]) == (0, 1)
    assert np.all(facets[of_entry[:4]] == np.sort(cells[0][[[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]]], axis=1))
    assert sorted(first[second < 0].tolist()) == [0, 0, 0, 1, 1, 1]
    assert facets.tolist() == sorted(facets.tolist())


def test_facet_neighbours_refuses_a_facet_of_three_cells():
    cells = np.array([[0, 1, 2, 3], [0, 1, 2, 4], [0, 1, 2, 5]])
    with pytest.raises(ValueError, match="more than two cells"):
        facet_neighbours(cells, 6)


@pytest.mark.parametrize("n_vertices", [60, 3_000_000_000])  # integer keys, and rows sorted column-wise (overflow)
def test_unique_rows_matches_numpy(n_vertices):
    rows = np.sort(np.random.default_rng(1).integers(0, 60, (5000, 3)), axis=1)
    distinct, inverse = unique_rows(rows, n_vertices)
    expected, expected_inverse = np.unique(rows, axis=0, return_inverse=True)
    assert np.array_equal(distinct, expected)
    assert np.array_equal(inverse, expected_inverse.reshape(-1))
