"""Voxel images and mesh files as box domains: volumes, faces, interfaces, case errors, mechanics.

Runs serially and under ``mpiexec -n 2``; every integral is reduced over ranks.
Expected measures are counted on the label arrays here, independently of the mesh.
"""

from __future__ import annotations

import csv
import math

import meshio
import numpy as np
import pytest
import tifffile
import ufl

from chemomech.case import CaseError, load_case, load_case_once, load_case_text
from chemomech.case import datafiles, loader, schema
from chemomech.cli import main
from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.geometry import build_domain
from chemomech.geometry.array_mesh import point_index
from chemomech.geometry.voxel import voxel_simplices
from chemomech.solve.run import run_case
from closed_forms import confined_free_strain, die_constant_pressure_stretch, lame
from simulate import simulate

COMM = MPI.COMM_WORLD
UM = 1e-6


def measures(domain):
    """(dx, ds, dS) bound to the domain's tags."""
    mesh = domain.mesh
    return tuple(
        ufl.Measure(kind, domain=mesh, subdomain_data=tags)
        for kind, tags in (("dx", domain.cell_tags), ("ds", domain.facet_tags), ("dS", domain.facet_tags))
    )


def integral(domain, measure) -> float:
    """∫ 1 over ``measure``, summed over ranks."""
    form = dolfinx.fem.form(dolfinx.fem.Constant(domain.mesh, 1.0) * measure)
    return COMM.allreduce(dolfinx.fem.assemble_scalar(form), op=MPI.SUM)


def neighbour_faces(labels: np.ndarray, a: int, b: int) -> list[int]:
    """Per axis, the number of voxel faces with label a on one side and b on the other."""
    counts = []
    for axis, n in enumerate(labels.shape):
        low, high = labels.take(range(n - 1), axis=axis), labels.take(range(1, n), axis=axis)
        counts.append(int((((low == a) & (high == b)) | ((low == b) & (high == a))).sum()))
    return counts


def face_areas(spacing) -> np.ndarray:
    """Area (length in 2D) of a voxel face normal to each axis."""
    return np.prod(spacing) / np.asarray(spacing)


def voxel_case(folder, image: np.ndarray, *, dimension="3d", voxel_size="0.5 um", phases: str, extra="") -> str:
    """Save ``image`` as labels.npy in ``folder`` and return a case using it."""
    np.save(folder / "labels.npy", image)
    return f"""
geometry:
  type: voxel
  dimension: {dimension}
  image: labels.npy
  voxel_size: {voxel_size}
{extra}  phases:
{phases}
fixture: {{type: pressure, pressure: 10 MPa}}
"""


THREE_PHASES = """\
    electrolyte: {label: 0, material: Li6PS5Cl}
    active: {label: 1, material: sulfur}
    pores: {label: 2, void: true}
"""


def three_phase_cube() -> np.ndarray:
    """Labels on a 6 × 5 × 4 (x, y, z) grid: an active block, pores beside it and in a corner."""
    labels = np.zeros((6, 5, 4), dtype=np.int16)
    labels[1:4, 1:3, 1:3] = 1
    labels[4, 1:3, 1:3] = 2
    labels[5, 4, 0:2] = 2
    return labels


def check_box(domain, labels: np.ndarray, spacing, names: dict[int, str], void: int) -> None:
    """Region measures, box faces, interfaces and pore surfaces against counts on ``labels`` (x, [y,] z)."""
    dx, ds, dS = measures(domain)
    cell = float(np.prod(spacing))
    areas = face_areas(spacing)
    assert void not in names and set(domain.regions) == set(names.values())
    for label, name in names.items():
        expected = np.count_nonzero(labels == label) * cell
        assert integral(domain, dx(domain.regions[name])) == pytest.approx(expected, rel=1e-12)
        assert domain.metrics["volumes [m3]"][name] == pytest.approx(expected, rel=1e-12)
    assert integral(domain, dx) == pytest.approx(np.count_nonzero(labels != void) * cell, rel=1e-12)
    gdim = labels.ndim
    lengths = np.array(labels.shape) * spacing
    letters = "xyz" if gdim == 3 else "xz"
    for axis, letter in enumerate(letters):
        low, high = ("bottom", "top") if letter == "z" else (f"{letter}_min", f"{letter}_max")
        for face, index in ((low, 0), (high, -1)):
            solid = np.count_nonzero(labels.take(index, axis=axis) != void)
            assert integral(domain, ds(domain.boundaries[face])) == pytest.approx(solid * areas[axis], rel=1e-12)
    assert domain.height == pytest.approx(lengths[-1], rel=1e-15)
    assert domain.loaded_area == pytest.approx(lengths[0] * (lengths[1] if gdim == 3 else 1.0), rel=1e-15)
    regions = list(names.items())
    for i, (a, first) in enumerate(regions):
        for b, second in regions[i + 1:]:
            expected = np.dot(neighbour_faces(labels, a, b), areas)
            name = f"interface:{first}/{second}"
            measured = integral(domain, dS(domain.boundaries[name])) if name in domain.boundaries else 0.0
            assert measured == pytest.approx(expected, rel=1e-12)
        expected = np.dot(neighbour_faces(labels, a, void), areas)
        name = f"surface:{first}"
        measured = integral(domain, ds(domain.boundaries[name])) if name in domain.boundaries else 0.0
        assert measured == pytest.approx(expected, rel=1e-12)


def test_voxel_cube_3d(tmp_path, mpi_tmp_path):
    """Anisotropic voxels, the array stored z-first (axis_order zyx): measures follow the labels."""
    labels = three_phase_cube()
    spacing = np.array([0.5, 0.4, 0.25]) * UM
    text = voxel_case(
        tmp_path, labels.transpose(2, 1, 0), voxel_size="[0.5 um, 0.4 um, 0.25 um]", phases=THREE_PHASES,
        extra="  axis_order: zyx\n  save_mesh: true\n",
    )
    case = load_case_text(text, str(tmp_path / "case.yaml"))
    domain = build_domain(case.geometry, COMM, mesh_file=mpi_tmp_path / "voxel.msh")  # written by rank 0
    assert list(domain.regions) == ["electrolyte", "active"]
    assert list(domain.boundaries)[:6] == ["bottom", "top", "x_min", "x_max", "y_min", "y_max"]
    assert domain.rollers == {"bottom": (2,), "x_min": (0,), "x_max": (0,), "y_min": (1,), "y_max": (1,)}
    check_box(domain, labels, spacing, {0: "electrolyte", 1: "active"}, void=2)
    _, ds, _ = measures(domain)
    assert integral(domain, ds(domain.boundaries["top"])) == pytest.approx(6 * 0.5 * 5 * 0.4 * UM**2, rel=1e-12)
    if COMM.rank > 0:
        return
    saved = meshio.read(mpi_tmp_path / "voxel.msh")  # metres; 6 tetrahedra per solid voxel
    assert saved.points.max(axis=0) == pytest.approx(np.array(labels.shape) * spacing, rel=1e-12)
    assert sum(len(block.data) for block in saved.cells if block.type == "tetra") == 6 * np.count_nonzero(labels != 2)


def test_a_run_distributes_the_arrays_as_the_gmsh_model_would(tmp_path, mpi_tmp_path):
    """A run distributes a voxel image from its arrays without gmsh (chemomech.geometry.array_mesh); saving
    the mesh draws it as a gmsh model instead: the same regions, boundaries, tags and measures."""
    labels = three_phase_cube()
    text = voxel_case(tmp_path, labels, voxel_size="[0.5 um, 0.4 um, 0.25 um]", phases=THREE_PHASES)
    case = load_case_text(text, str(tmp_path / "case.yaml"))
    from_arrays = build_domain(case.geometry, COMM)
    from_gmsh = build_domain(case.geometry, COMM, mesh_file=mpi_tmp_path / "voxel.msh")
    assert list(from_arrays.regions.items()) == list(from_gmsh.regions.items())
    assert list(from_arrays.boundaries.items()) == list(from_gmsh.boundaries.items())
    cells = [domain.mesh.topology.index_map(3).size_global for domain in (from_arrays, from_gmsh)]
    assert cells[0] == cells[1] == 6 * np.count_nonzero(labels != 2)
    for measure in ("dx", "ds", "dS"):
        values = []
        for domain in (from_arrays, from_gmsh):
            dx, ds, dS = measures(domain)
            tags = domain.regions if measure == "dx" else domain.boundaries
            values.append([integral(domain, {"dx": dx, "ds": ds, "dS": dS}[measure](tag)) for tag in tags.values()])
        assert values[0] == pytest.approx(values[1], rel=1e-12, abs=1e-30)
        assert any(value > 0 for value in values[0])
    assert from_arrays.metrics["interface_areas [m2]"] == pytest.approx(from_gmsh.metrics["interface_areas [m2]"])


def test_point_index_numbers_the_used_points_in_order():
    """The solid cells' points keep their order and are numbered 0, 1, ...; unused points get −1."""
    assert point_index(np.array([[5, 2, 7], [2, 7, 0]]), 9).tolist() == [0, -1, 1, -1, -1, 2, -1, 3, -1]
    cells = np.random.default_rng(3).integers(0, 1000, size=(400, 4))
    used, inverse = np.unique(cells, return_inverse=True)
    index = point_index(cells, 1000)
    assert np.array_equal(np.flatnonzero(index >= 0), used)
    assert np.array_equal(index[cells], inverse.reshape(cells.shape))


def test_voxel_tiff_stack_matches_npy(tmp_path):
    labels = three_phase_cube()
    text = voxel_case(tmp_path, labels, phases=THREE_PHASES)
    tifffile.imwrite(tmp_path / "labels.tif", labels, photometric="minisblack")
    from_npy = load_case_text(text, str(tmp_path / "case.yaml")).geometry
    from_tif = load_case_text(text.replace("labels.npy", "labels.tif"), str(tmp_path / "case.yaml")).geometry
    assert from_tif.image == str(tmp_path / "labels.tif")
    assert np.array_equal(from_tif.labels(), from_npy.labels())


def test_voxel_pixels_plane_strain(tmp_path):
    """A 2D label image stored z-first: two triangles per pixel, lengths per unit depth."""
    labels = np.zeros((5, 3), dtype=np.uint8)  # x, z
    labels[1:3, 1] = 7
    labels[3, 1] = 4
    labels[4, 0] = 4
    phases = "    matrix: {label: 0, material: Li6PS5Cl}\n    particle: {label: 7, material: sulfur}\n"
    phases += "    void: {label: 4, void: true}\n"
    text = voxel_case(tmp_path, labels.T, dimension="plane_strain", voxel_size="[1 um, 2 um]", phases=phases,
                      extra="  axis_order: zx\n")
    domain = build_domain(load_case_text(text, str(tmp_path / "case.yaml")).geometry, COMM)
    assert domain.rollers == {"bottom": (1,), "x_min": (0,), "x_max": (0,)}
    check_box(domain, labels, np.array([1.0, 2.0]) * UM, {0: "matrix", 7: "particle"}, void=4)
    cells = domain.mesh.topology.index_map(2).size_global
    assert cells == 2 * np.count_nonzero(labels != 4)


def structured_mesh(shape, offset_um) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(points in um, simplices, cell centre x in um) of a unit-spaced grid shifted by ``offset_um``."""
    points, cells, _ = voxel_simplices(shape, np.ones(len(shape)))
    points = points + np.asarray(offset_um)
    return points, cells, points[cells].mean(axis=1)[:, 0]


def mesh_case(path, dimension: str, phases: str, extra: str = "") -> str:
    return f"""
geometry:
  type: mesh
  dimension: {dimension}
  file: {path.name}
  length_unit: um
{extra}  phases:
{phases}
fixture: {{type: pressure, pressure: 10 MPa}}
"""


def test_gmsh_file_tetrahedra(tmp_path):
    """A two-region tetrahedral mesh in um (with boundary triangles, which are ignored), shifted to the origin."""
    points, cells, x = structured_mesh((3, 2, 2), (10.0, 20.0, 30.0))
    tags = np.where(x < 11.0, 5, 7)
    triangles = cells[:4, :3]
    mesh = meshio.Mesh(
        points,
        [("triangle", triangles), ("tetra", cells)],
        cell_data={"gmsh:physical": [np.full(4, 9), tags], "gmsh:geometrical": [np.ones(4, int), tags]},
    )
    meshio.write(tmp_path / "rve.msh", mesh, file_format="gmsh22", binary=False)
    phases = "    matrix: {tag: 5, material: Li6PS5Cl}\n    particle: {tag: 7, material: sulfur}\n"
    case = load_case_text(mesh_case(tmp_path / "rve.msh", "3d", phases), str(tmp_path / "case.yaml"))
    assert case.geometry.cell_data == "gmsh:physical" and case.geometry.length_unit == pytest.approx(UM)
    domain = build_domain(case.geometry, COMM)
    labels = np.zeros((3, 2, 2), dtype=int)
    labels[1:] = 1
    check_box(domain, labels, np.full(3, UM), {0: "matrix", 1: "particle"}, void=-1)



def test_data_files_are_read_on_rank_0_only(mpi_tmp_path, monkeypatch):
    """A mesh file and an image are read by rank 0 alone, to validate and to mesh; every rank gets the same case."""
    points, cells, x = structured_mesh((3, 2, 2), (10.0, 20.0, 30.0))
    if COMM.rank == 0:
        mesh = meshio.Mesh(points, [("tetra", cells)], cell_data={"gmsh:physical": [np.where(x < 11.0, 5, 7)]})
        meshio.write(mpi_tmp_path / "rve.msh", mesh, file_format="gmsh22", binary=False)
        (mpi_tmp_path / "mesh.yaml").write_text(
            mesh_case(mpi_tmp_path / "rve.msh", "3d", "    matrix: {tag: 5, material: Li6PS5Cl}\n"
                      "    particle: {tag: 7, material: sulfur}\n"))
        (mpi_tmp_path / "voxel.yaml").write_text(voxel_case(mpi_tmp_path, three_phase_cube(), phases=THREE_PHASES))
    COMM.barrier()
    image_reads = []
    monkeypatch.setattr(schema, "read_label_image", lambda path: image_reads.append(path) or np.load(path))
    datafiles.forget_meshes()
    # rank 0 reads the mesh once (kept from the validation to the meshing), the image once for each
    for name, reads, root_reads, labels, spacing, names, void in (
        ("mesh", lambda: datafiles._read_simplex_mesh.cache_info().misses, (1, 1),
         np.repeat([0, 1, 1], 4).reshape(3, 2, 2), np.full(3, UM), {0: "matrix", 1: "particle"}, -1),
        ("voxel", lambda: len(image_reads), (1, 2), three_phase_cube(), np.full(3, 0.5 * UM),
         {0: "electrolyte", 1: "active"}, 2),
    ):
        case = load_case_once(mpi_tmp_path / f"{name}.yaml", (), COMM)
        validated = reads()
        domain = build_domain(case.geometry, COMM)
        assert COMM.allgather((validated, reads())) == [root_reads] + [(0, 0)] * (COMM.size - 1), name
        assert COMM.allgather(case) == [case] * COMM.size
        lengths = np.array(labels.shape) * spacing
        assert case.geometry.box_lengths() == pytest.approx(lengths, rel=1e-15)
        check_box(domain, labels, spacing, names, void)


def test_load_case_once_raises_on_every_rank(tmp_path, monkeypatch):
    """A bad case: the same CaseError on every rank; an unexpected error on rank 0: raised there, named elsewhere."""
    with pytest.raises(CaseError) as err:
        load_case_once(tmp_path / "nothere.yaml", (), COMM)
    assert COMM.allgather(err.value.problems) == [err.value.problems] * COMM.size
    assert "no such file" in str(err.value)

    def broken(path, overrides=(), validated_file=None):
        raise ValueError("no memory left")

    monkeypatch.setattr(loader, "load_case", broken)
    with pytest.raises(ValueError if COMM.rank == 0 else RuntimeError, match="ValueError: no memory left"
                       if COMM.rank else "no memory left"):
        load_case_once(tmp_path / "case.yaml", (), COMM)

def test_vtu_triangles_with_void(tmp_path):
    """The only integer cell array holds the tags; a void tag leaves a hole with a surface."""
    points, cells, x = structured_mesh((4, 2), (-3.0, 5.0))
    z = points[cells].mean(axis=1)[:, 1]
    tags = np.where(x < -2.0, 1, 2)
    tags[(x > 0.0) & (z > 6.0)] = 3  # the corner pixel x in [0, 1], z in [6, 7]
    mesh = meshio.Mesh(np.c_[points, np.zeros(len(points))], [("triangle", cells)],
                       cell_data={"region": [tags], "quality": [np.ones(len(cells))]})
    meshio.write(tmp_path / "rve.vtu", mesh)
    phases = "    matrix: {tag: 1, material: Li6PS5Cl}\n    particle: {tag: 2, material: sulfur}\n"
    phases += "    pores: {tag: 3, void: true}\n"
    case = load_case_text(mesh_case(tmp_path / "rve.vtu", "plane_strain", phases), str(tmp_path / "case.yaml"))
    assert case.geometry.cell_data == "region"
    domain = build_domain(case.geometry, COMM)
    labels = np.array([[1, 1], [2, 2], [2, 2], [2, 3]])  # x, z pixels
    check_box(domain, labels, np.full(2, UM), {1: "matrix", 2: "particle"}, void=3)


# Line numbers below refer to this text (image written by the test).
ERROR_BASE = """\
geometry:
  type: voxel
  dimension: 3d
  image: labels.npy
  voxel_size: 0.5 um
  phases:
    matrix: {label: 0, material: Li6PS5Cl}
    active: {label: 1, material: sulfur}
fixture: {type: pressure, pressure: 10 MPa}
"""
TWO_LABELS = np.zeros((3, 3, 3), dtype=np.int32)
TWO_LABELS[1, 1, 1] = 1
THREE_LABELS = TWO_LABELS.copy()
THREE_LABELS[0, 0, 0] = 2
TOP_VOID = np.zeros((2, 2, 2), dtype=np.int32)
TOP_VOID[:, :, -1] = 1
FLOATING = np.zeros((3, 3, 3), dtype=np.int32)  # the centre voxel, walled in by pores, floats
for axis in range(3):
    FLOATING[tuple(np.roll([0, 1, 1], axis))] = FLOATING[tuple(np.roll([2, 1, 1], axis))] = 1
MESH_BASE = """\
geometry:
  type: mesh
  dimension: 3d
  file: rve.vtu
  length_unit: um
  phases:
    matrix: {tag: 1, material: Li6PS5Cl}
fixture: {type: pressure, pressure: 10 MPa}
"""

IMPORT_ERRORS = [
    ("unmapped_label", ERROR_BASE, THREE_LABELS, (6, "geometry.phases", "not mapped: 2")),
    ("missing_file", ERROR_BASE.replace("labels.npy", "nothere.npy"), TWO_LABELS,
     (4, "geometry.image", "no such file")),
    ("wrong_dimension", ERROR_BASE, TWO_LABELS[0], (4, "geometry.image", "expected a 3D label array")),
    ("plane_strain_of_3d_array", ERROR_BASE.replace("3d", "plane_strain"), TWO_LABELS,
     (4, "geometry.image", "expected a 2D label array")),
    ("float_labels", ERROR_BASE, TWO_LABELS.astype(float), (4, "geometry.image", "expected integer labels")),
    ("empty_phase", ERROR_BASE, np.zeros((2, 2, 2), dtype=int), (8, "geometry.phases.active.label", "no label 1")),
    ("not_an_image", ERROR_BASE.replace("labels.npy", "labels.png"), TWO_LABELS,
     (4, "geometry.image", "expected a .npy or .tif/.tiff")),
    ("voxel_size_count", ERROR_BASE.replace("0.5 um", "[1 um, 1 um]"), TWO_LABELS,
     (5, "geometry.voxel_size", "expected one length or 3")),
    ("axis_order", ERROR_BASE.replace("  phases", "  axis_order: xzz\n  phases"), TWO_LABELS,
     (6, "geometry.axis_order", "'xyz' in any order")),
    ("axisymmetric", ERROR_BASE.replace("3d", "axisymmetric"), TWO_LABELS, (3, "geometry.dimension", "3d")),
    ("void_with_material", ERROR_BASE.replace("material: sulfur", "material: sulfur, void: true"), TWO_LABELS,
     (8, "geometry.phases.active.material", "not for a void phase")),
    ("phase_named_top", ERROR_BASE.replace("matrix:", "top:"), TWO_LABELS,
     (7, "geometry.phases.top", "other than the box faces")),
    ("duplicate_label", ERROR_BASE.replace("label: 1", "label: 0"), TWO_LABELS,
     (8, "geometry.phases.active.label", "label 0 is also the label of phase 'matrix'")),
    ("void_top_face", ERROR_BASE.replace("material: sulfur", "void: true"), TOP_VOID,
     (4, "geometry.image", "the top face of the image has only void voxels")),
    ("floating_piece", ERROR_BASE.replace("material: sulfur", "void: true"), FLOATING,
     (4, "geometry.image", "the solid voxels form 2 pieces")),
    ("no_fixture", ERROR_BASE.replace("fixture: {type: pressure, pressure: 10 MPa}\n", ""), TWO_LABELS,
     (1, "fixture", "voxel geometries need a fixture")),
    ("mesh_unmapped_tag", MESH_BASE, None, (6, "geometry.phases", "every tag in the mesh needs a phase")),
    ("mesh_without_triangles", MESH_BASE.replace("3d", "plane_strain"), None,
     (4, "geometry.file", "expected triangle cells")),
    ("mesh_cell_data", MESH_BASE.replace("  phases", "  cell_data: phase\n  phases"), None,
     (6, "geometry.cell_data", "no cell-data array 'phase'")),
    ("mesh_length_unit", MESH_BASE.replace("unit: um", "unit: MPa"), None,
     (5, "geometry.length_unit", "expected a unit of length like 'um' or 'mm', got 'MPa'")),
    ("mesh_missing_file", MESH_BASE.replace("rve.vtu", "nothere.vtu"), None, (4, "geometry.file", "no such file")),
]


def write_error_inputs(folder, text: str, image) -> None:
    if image is not None:
        np.save(folder / "labels.npy", image)
    points, cells, x = structured_mesh((2, 1, 1), (0.0, 0.0, 0.0))
    meshio.Mesh(points, [("tetra", cells)], cell_data={"tag": [np.where(x < 1, 1, 2)]}).write(folder / "rve.vtu")
    (folder / "labels.png").write_bytes(b"not an image")
    (folder / "case.yaml").write_text(text, encoding="utf-8")


@pytest.mark.parametrize("text, image, expected", [pytest.param(*p[1:], id=p[0]) for p in IMPORT_ERRORS])
def test_import_case_errors(tmp_path, text, image, expected):
    write_error_inputs(tmp_path, text, image)
    path = tmp_path / "case.yaml"
    with pytest.raises(CaseError) as info:
        load_case(path)
    line, field, fragment = expected
    lines = str(info.value).splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}:{line}: {field}: ") and fragment in lines[0], lines


@pytest.mark.parametrize("name", ["unmapped_label", "missing_file", "wrong_dimension"])
def test_import_case_errors_exit_2(tmp_path, capsys, name):
    _, text, image, (line, field, _) = next(p for p in IMPORT_ERRORS if p[0] == name)
    write_error_inputs(tmp_path, text, image)
    assert main(["check", str(tmp_path / "case.yaml")]) == 2  # on every rank
    err = capsys.readouterr().err
    assert err.startswith(f"{tmp_path / 'case.yaml'}:{line}: {field}: ") if COMM.rank == 0 else err == ""


E, NU, BETA = 10e9, 0.3, 0.787
HOMOGENEOUS = """
geometry:
  type: voxel
  dimension: {dimension}
  image: {image}
  voxel_size: [2 um, {depth}3 um]
  phases:
    solid: {{label: 3, material: active}}
materials:
  active: {{youngs_modulus: 10 GPa, poisson_ratio: 0.3, active_fraction: 1.0, swelling: {{beta: 0.787}}}}
mechanics: {{kinematics: {kinematics}}}
lithiation:
  protocol: [{{step: discharge, rate: 1 C, until_xi: 1.0}}]
fixture: {{type: pressure}}
outputs: {{fields: false}}
solver: {{max_xi_step: 0.25, newton_rtol: 1.0e-13, newton_atol: 1.0e-15}}
"""


@pytest.mark.parametrize("dimension, kinematics", [("3d", "finite_strain"), ("3d", "small_strain"),
                                                   ("plane_strain", "finite_strain")])
def test_homogeneous_image_swells_as_a_confined_layer(tmp_path, dimension, kinematics):
    """Rollers on the bottom and sides, no top pressure: the die's closed form (physics.md 10b)."""
    shape = (2, 2, 3) if dimension == "3d" else (2, 3)
    image = tmp_path / "solid.npy"
    np.save(image, np.full(shape, 3, dtype=np.int8))
    depth = "1 um, " if dimension == "3d" else ""
    text = HOMOGENEOUS.format(dimension=dimension, image=image, depth=depth, kinematics=kinematics)
    sim, history = simulate(text)
    height = 3 * 3 * UM
    state, pressure, displacement = history[-1]
    assert state.xi == pytest.approx(1.0)
    g = (1 + BETA) ** (1 / 3)
    if kinematics == "small_strain":
        expected = confined_free_strain(NU, g - 1) * height
    else:
        expected = (die_constant_pressure_stretch(0.0, g, *lame(E, NU)) - 1) * height
    assert displacement == pytest.approx(expected, rel=1e-6)
    assert abs(pressure) < 1e-6 * E
    assert sim.domain.loaded_area == pytest.approx(4 * UM * (2 * UM if dimension == "3d" else 1.0))


RUN_CASE = """\
name: voxel_block
geometry:
  type: voxel
  dimension: 3d
  image: block.npy
  voxel_size: 1 um
  phases:
    electrolyte: {label: 0, material: Li6PS5Cl}
    active: {label: 1, material: sulfur}
lithiation:
  protocol: [{step: discharge, rate: 1 C, until_xi: 0.2}]
fixture: {type: pressure, preload: 10 MPa, preload_steps: 2}
outputs: {fields: false, figures: false, checkpoint_every: 0}
solver: {max_xi_step: 0.1}
"""


def test_voxel_case_runs_with_plunger_sensors(mpi_tmp_path):
    """A lithiating sulfur block in Li6PS5Cl under a 10 MPa plunger, through the case runner."""
    if COMM.rank == 0:
        block = np.zeros((4, 4, 4), dtype=np.int32)
        block[1:3, 1:3, 1:3] = 1
        np.save(mpi_tmp_path / "block.npy", block)
        (mpi_tmp_path / "case.yaml").write_text(RUN_CASE, encoding="utf-8")
    COMM.barrier()
    path = mpi_tmp_path / "case.yaml"
    summary = run_case(load_case(path), outdir=mpi_tmp_path / "out", case_path=path, comm=COMM)
    assert summary["status"] == "completed"
    if COMM.rank == 0:
        with open(mpi_tmp_path / "out" / "series.csv", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert {"stack_pressure [MPa]", "thickness_change [um]", "plunger_displacement [um]"} <= set(rows[0])
        assert float(rows[-1]["lithiation [-]"]) == pytest.approx(0.2)
        assert float(rows[-1]["stack_pressure [MPa]"]) == pytest.approx(10.0, rel=1e-6)
        assert float(rows[-1]["thickness_change [um]"]) > 0.0  # the block swells, the plunger rises
        assert math.isfinite(float(rows[-1]["electrolyte_sigma1_max [MPa]"]))
