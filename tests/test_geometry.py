"""Geometry builders: regions, boundaries, measures, sizes, files and errors.

Runs serially and under ``mpiexec -n 2``; every integral is reduced over ranks.
"""

from __future__ import annotations

import gc
import math
from dataclasses import dataclass, field

import gmsh
import meshio
import numpy as np
import pytest
import ufl

from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.geometry import Domain, GeometryError, build_domain

COMM = MPI.COMM_WORLD
R = 0.5e-3  # stack radius in the small test stacks


@dataclass(frozen=True)
class Layer:
    name: str
    thickness: float
    mesh_size: float | None = None
    material: str = "Li6PS5Cl"


@dataclass(frozen=True)
class Stack:
    dimension: str
    layers: list[Layer] = field(
        default_factory=lambda: [Layer("cathode", 0.1e-3), Layer("separator", 0.2e-3), Layer("anode", 0.1e-3)]
    )
    diameter: float = 2 * R
    mesh_size: float | None = 0.05e-3
    lateral: str = "die_wall"
    type: str = "stack"


@dataclass(frozen=True)
class Inclusion:
    dimension: str
    inclusion_radius: float = 5e-6
    outer_radius: float = 15e-6
    mesh_size: float | None = 1e-6
    interface_mesh_size: float | None = None
    outer_boundary: str = "free"
    type: str = "inclusion"


@pytest.fixture(autouse=True)
def collective_teardown():
    """Destroy PETSc/DOLFINx objects collectively, as DOLFINx's own tests do."""
    yield
    gc.collect()
    COMM.barrier()


def integral(domain: Domain, integrand, measure) -> float:
    """Integral over the whole distributed mesh."""
    form = dolfinx.fem.form(integrand * measure)
    return domain.mesh.comm.allreduce(dolfinx.fem.assemble_scalar(form), op=MPI.SUM)


def measures(domain: Domain):
    """(dx, ds, dS) bound to the domain's tags."""
    mesh = domain.mesh
    return (
        ufl.Measure("dx", domain=mesh, subdomain_data=domain.cell_tags),
        ufl.Measure("ds", domain=mesh, subdomain_data=domain.facet_tags),
        ufl.Measure("dS", domain=mesh, subdomain_data=domain.facet_tags),
    )


def global_cells(domain: Domain, region: str) -> int:
    """Number of cells of a region over all ranks (owned cells only)."""
    owned = domain.mesh.topology.index_map(domain.mesh.topology.dim).size_local
    local = (domain.cell_tags.find(domain.regions[region]) < owned).sum()
    return domain.mesh.comm.allreduce(int(local), op=MPI.SUM)


def owned_extent(domain: Domain, axis: int) -> tuple[float, float]:
    """Global (min, max) of one coordinate over owned nodes."""
    owned = domain.mesh.geometry.index_map().size_local
    x = domain.mesh.geometry.x[:owned, axis]
    return domain.mesh.comm.allreduce(x.min(), op=MPI.MIN), domain.mesh.comm.allreduce(x.max(), op=MPI.MAX)


def owned_facet_normals(domain: Domain, boundary: str) -> np.ndarray:
    """Unit normals (unoriented) of the owned facets of a boundary, from their vertex coordinates."""
    mesh = domain.mesh
    fdim = mesh.topology.dim - 1
    mesh.topology.create_connectivity(fdim, 0)
    owned = mesh.topology.index_map(fdim).size_local
    facets = domain.facet_tags.find(domain.boundaries[boundary])
    facets = facets[facets < owned]
    x = mesh.geometry.x[dolfinx.mesh.entities_to_geometry(mesh, fdim, facets)]
    normals = np.cross(x[:, 1] - x[:, 0], x[:, 2] - x[:, 0])
    return normals / np.linalg.norm(normals, axis=1)[:, None]


def z_levels(domain: Domain, low: float, high: float) -> int:
    """Number of distinct node heights in [low, high] over all ranks."""
    owned = domain.mesh.geometry.index_map().size_local
    z = domain.mesh.geometry.x[:owned, 2]
    z = z[(z > low - 1e-9 * high) & (z < high + 1e-9 * high)]
    gathered = np.concatenate(domain.mesh.comm.allgather(z))
    return len(np.unique(np.round(gathered / high, 9)))


def one(domain: Domain):
    return dolfinx.fem.Constant(domain.mesh, 1.0)


@pytest.mark.parametrize("dimension", ["plane_strain", "axisymmetric"])
def test_stack_2d_regions_and_measures(dimension):
    geometry = Stack(dimension)
    domain = build_domain(geometry, COMM)
    dx, ds, dS = measures(domain)
    height = 0.4e-3

    assert domain.kind == dimension and domain.mesh.geometry.dim == 2
    assert domain.mesh.topology.cell_type == dolfinx.mesh.CellType.triangle
    assert list(domain.regions) == ["cathode", "separator", "anode"]
    assert set(domain.boundaries) == {
        "bottom", "top", "lateral", "symmetry_x",
        "interface:cathode/separator", "interface:separator/anode",
    }
    assert domain.height == pytest.approx(height, rel=1e-14)
    assert domain.loaded_area == pytest.approx(math.pi * R**2, rel=1e-14)
    assert domain.layer_bounds["separator"] == pytest.approx((0.1e-3, 0.3e-3), rel=1e-14)
    assert owned_extent(domain, 0) == pytest.approx((0.0, R), abs=1e-15)
    assert owned_extent(domain, 1) == pytest.approx((0.0, height), abs=1e-15)

    for layer in geometry.layers:
        area = integral(domain, one(domain), dx(domain.regions[layer.name]))
        assert area == pytest.approx(R * layer.thickness, rel=1e-12)
    lengths = {"bottom": R, "top": R, "lateral": height, "symmetry_x": height}
    for name, expected in lengths.items():
        assert integral(domain, one(domain), ds(domain.boundaries[name])) == pytest.approx(expected, rel=1e-12)
    for name in ("interface:cathode/separator", "interface:separator/anode"):
        assert integral(domain, one(domain), dS(domain.boundaries[name])) == pytest.approx(R, rel=1e-12)


def test_axisymmetric_revolved_measures_are_exact():
    geometry = Stack("axisymmetric")
    domain = build_domain(geometry, COMM)
    dx, ds, _ = measures(domain)
    r = ufl.SpatialCoordinate(domain.mesh)[0]
    for layer in geometry.layers:
        volume = integral(domain, 2 * math.pi * r, dx(domain.regions[layer.name]))
        assert volume == pytest.approx(math.pi * R**2 * layer.thickness, rel=1e-10)
    assert integral(domain, 2 * math.pi * r, ds(domain.boundaries["top"])) == pytest.approx(math.pi * R**2, rel=1e-10)
    lateral = integral(domain, 2 * math.pi * r, ds(domain.boundaries["lateral"]))
    assert lateral == pytest.approx(2 * math.pi * R * 0.4e-3, rel=1e-10)


def test_stack_3d_quarter_cylinder():
    geometry = Stack("3d", mesh_size=0.1e-3)
    domain = build_domain(geometry, COMM)
    dx, ds, dS = measures(domain)
    height = 0.4e-3
    faceting = (geometry.mesh_size / R) ** 2  # relative loss of inscribed facets, generous

    assert domain.mesh.geometry.dim == 3
    assert domain.mesh.topology.cell_type == dolfinx.mesh.CellType.tetrahedron
    assert list(domain.regions) == ["cathode", "separator", "anode"]
    assert set(domain.boundaries) == {
        "bottom", "top", "lateral", "symmetry_x", "symmetry_y",
        "interface:cathode/separator", "interface:separator/anode",
    }
    assert domain.loaded_area == pytest.approx(math.pi * R**2, rel=1e-14)
    assert domain.layer_bounds["separator"] == pytest.approx((0.1e-3, 0.3e-3), rel=1e-14)
    assert owned_extent(domain, 0) == pytest.approx((0.0, R), abs=1e-12)
    assert owned_extent(domain, 1) == pytest.approx((0.0, R), abs=1e-12)
    assert owned_extent(domain, 2) == pytest.approx((0.0, height), abs=1e-15)

    # the extruded quarter disc: every horizontal section has the same polygonal area
    quarter_disc = math.pi * R**2 / 4
    polygon = integral(domain, one(domain), ds(domain.boundaries["bottom"]))
    assert quarter_disc * (1 - faceting) < polygon <= quarter_disc * (1 + 1e-12)
    assert integral(domain, one(domain), ds(domain.boundaries["top"])) == pytest.approx(polygon, rel=1e-12)
    for name in ("interface:cathode/separator", "interface:separator/anode"):
        assert integral(domain, one(domain), dS(domain.boundaries[name])) == pytest.approx(polygon, rel=1e-12)
    for layer in geometry.layers:
        volume = integral(domain, one(domain), dx(domain.regions[layer.name]))
        assert volume == pytest.approx(polygon * layer.thickness, rel=1e-12)
    for name in ("symmetry_x", "symmetry_y"):
        assert integral(domain, one(domain), ds(domain.boundaries[name])) == pytest.approx(R * height, rel=1e-12)
    lateral = integral(domain, one(domain), ds(domain.boundaries["lateral"]))
    assert math.pi / 2 * R * height * (1 - faceting) < lateral <= math.pi / 2 * R * height * (1 + 1e-12)


def test_stack_3d_walls_are_vertical_and_faces_horizontal():
    """Extruded mesh: die wall and symmetry facets in vertical planes, the rest horizontal."""
    domain = build_domain(Stack("3d", mesh_size=0.1e-3), COMM)
    counts = {}
    for name in domain.boundaries:
        normals = owned_facet_normals(domain, name)
        counts[name] = COMM.allreduce(len(normals), op=MPI.SUM)
        if name in ("lateral", "symmetry_x", "symmetry_y"):
            assert np.abs(normals[:, 2]).max(initial=0.0) < 1e-12, name
        else:
            assert np.abs(np.abs(normals[:, 2]) - 1).max(initial=0.0) < 1e-12, name
            assert np.abs(normals[:, :2]).max(initial=0.0) < 1e-12, name
        if name == "symmetry_x":
            assert np.abs(normals[:, 1]).max(initial=0.0) < 1e-12
        if name == "symmetry_y":
            assert np.abs(normals[:, 0]).max(initial=0.0) < 1e-12
    assert all(count > 0 for count in counts.values()), counts
    # the same triangulation on every horizontal face
    assert counts["bottom"] == counts["top"] == counts["interface:cathode/separator"]
    # the die wall facets have their vertices on the cylinder r = R
    mesh = domain.mesh
    fdim = mesh.topology.dim - 1
    owned = mesh.topology.index_map(fdim).size_local
    facets = domain.facet_tags.find(domain.boundaries["lateral"])
    x = mesh.geometry.x[dolfinx.mesh.entities_to_geometry(mesh, fdim, facets[facets < owned])]
    assert np.abs(np.hypot(x[..., 0], x[..., 1]) - R).max(initial=0.0) < 1e-12 * R


def test_stack_3d_element_layers_follow_layer_sizes():
    """A layer's mesh_size sets its element layers, ceil(thickness / size); the in-plane mesh is shared."""
    layers = [Layer("cathode", 0.2e-3), Layer("separator", 0.2e-3, mesh_size=0.01e-3), Layer("anode", 0.15e-3)]
    geometry = Stack("3d", layers=layers, mesh_size=0.1e-3)
    domain = build_domain(geometry, COMM)
    expected = {"cathode": 2, "separator": 20, "anode": 2}
    for name, (low, high) in domain.layer_bounds.items():
        assert z_levels(domain, low, high) == expected[name] + 1, name
    cells = {name: global_cells(domain, name) for name in domain.regions}
    per_layer = cells["cathode"] // expected["cathode"]
    assert per_layer % 3 == 0  # three tetrahedra per prism
    assert cells == {name: per_layer * n for name, n in expected.items()}
    assert domain.mesh.topology.index_map(3).size_global == sum(cells.values())


def test_default_3d_stack_stays_modest():
    """Default sizes on a realistic pellet: well under 100k tetrahedra."""
    layers = [Layer("cathode", 60e-6), Layer("separator", 500e-6), Layer("anode", 80e-6)]
    domain = build_domain(Stack("3d", layers=layers, diameter=10e-3, mesh_size=None), COMM)
    cells = domain.mesh.topology.index_map(3).size_global
    assert 1000 < cells < 100_000


def test_layer_mesh_size_refines_that_layer():
    layers = [Layer("cathode", 0.2e-3), Layer("separator", 0.2e-3, mesh_size=0.01e-3), Layer("anode", 0.2e-3)]
    domain = build_domain(Stack("plane_strain", layers=layers), COMM)
    cells = {name: global_cells(domain, name) for name in domain.regions}
    assert cells["separator"] > 5 * max(cells["cathode"], cells["anode"])


@pytest.mark.parametrize(
    ("dimension", "inclusion", "matrix"),
    [
        ("plane_strain", lambda a: math.pi * a**2 / 4, lambda a, b: math.pi * (b**2 - a**2) / 4),
        ("axisymmetric", lambda a: 2 * math.pi * a**3 / 3, lambda a, b: 2 * math.pi * (b**3 - a**3) / 3),
        ("3d", lambda a: math.pi * a**3 / 6, lambda a, b: math.pi * (b**3 - a**3) / 6),
    ],
)
def test_inclusion_regions_and_volumes(dimension, inclusion, matrix):
    geometry = Inclusion(dimension, mesh_size=1.5e-6 if dimension == "3d" else 1e-6)
    domain = build_domain(geometry, COMM)
    dx, ds, dS = measures(domain)
    a, b = geometry.inclusion_radius, geometry.outer_radius
    gdim = domain.mesh.geometry.dim
    weight = 2 * math.pi * ufl.SpatialCoordinate(domain.mesh)[0] if dimension == "axisymmetric" else one(domain)
    tolerance = (geometry.mesh_size / a) ** 2

    assert gdim == (3 if dimension == "3d" else 2)
    assert domain.regions == {"inclusion": 1, "matrix": 2}
    expected = {"symmetry_x", "symmetry_z", "outer", "interface"} | ({"symmetry_y"} if gdim == 3 else set())
    assert set(domain.boundaries) == expected
    assert domain.layer_bounds == {} and domain.height == b
    assert domain.loaded_area == pytest.approx(math.pi * b**2, rel=1e-14)
    for axis in range(gdim):
        assert owned_extent(domain, axis) == pytest.approx((0.0, b), abs=1e-12 * b)

    inner = integral(domain, weight, dx(domain.regions["inclusion"]))
    outer = integral(domain, weight, dx(domain.regions["matrix"]))
    assert inner == pytest.approx(inclusion(a), rel=tolerance)
    assert outer == pytest.approx(matrix(a, b), rel=tolerance)
    if gdim == 2:
        assert integral(domain, one(domain), dS(domain.boundaries["interface"])) == pytest.approx(
            math.pi * a / 2, rel=tolerance
        )
        assert integral(domain, one(domain), ds(domain.boundaries["outer"])) == pytest.approx(
            math.pi * b / 2, rel=tolerance
        )
        for name in ("symmetry_x", "symmetry_z"):
            assert integral(domain, one(domain), ds(domain.boundaries[name])) == pytest.approx(b, rel=1e-12)
    else:
        assert integral(domain, one(domain), dS(domain.boundaries["interface"])) == pytest.approx(
            math.pi * a**2 / 2, rel=tolerance
        )


@dataclass(frozen=True)
class Particle:
    dimension: str
    radius: float = 5e-6
    mesh_size: float | None = 0.5e-6
    surface_mesh_size: float | None = None
    type: str = "particle"


@pytest.mark.parametrize(
    ("dimension", "volume", "surface"),
    [
        ("plane_strain", lambda a: math.pi * a**2 / 4, lambda a: math.pi * a / 2),
        ("axisymmetric", lambda a: 2 * math.pi * a**3 / 3, lambda a: 2 * math.pi * a**2),
        ("3d", lambda a: math.pi * a**3 / 6, lambda a: math.pi * a**2 / 2),
    ],
)
def test_particle_region_surface_and_symmetry_planes(dimension, volume, surface):
    geometry = Particle(dimension, mesh_size=1e-6 if dimension == "3d" else 0.5e-6)
    domain = build_domain(geometry, COMM)
    dx, ds, _ = measures(domain)
    a = geometry.radius
    gdim = domain.mesh.geometry.dim
    weight = 2 * math.pi * ufl.SpatialCoordinate(domain.mesh)[0] if dimension == "axisymmetric" else one(domain)
    tolerance = 2 * (geometry.mesh_size / a) ** 2
    assert domain.regions == {"particle": 1}
    expected = {"symmetry_x", "symmetry_z", "surface"} | ({"symmetry_y"} if gdim == 3 else set())
    assert set(domain.boundaries) == expected
    assert domain.rollers == {"symmetry_x": (0,), "symmetry_z": (gdim - 1,)} | (
        {"symmetry_y": (1,)} if gdim == 3 else {}
    )
    assert integral(domain, weight, dx(domain.regions["particle"])) == pytest.approx(volume(a), rel=tolerance)
    assert integral(domain, weight, ds(domain.boundaries["surface"])) == pytest.approx(surface(a), rel=tolerance)


def test_interface_mesh_size_refines_near_the_interface():
    coarse = build_domain(Inclusion("plane_strain"), COMM)
    fine = build_domain(Inclusion("plane_strain", interface_mesh_size=0.2e-6), COMM)
    assert global_cells(fine, "inclusion") > 2 * global_cells(coarse, "inclusion")
    assert global_cells(fine, "matrix") > global_cells(coarse, "matrix")


def test_mesh_file_is_written_in_metres(tmp_path):
    path = COMM.bcast(tmp_path / "meshes" / "pellet.msh", root=0)
    domain = build_domain(Stack("axisymmetric"), COMM, mesh_file=path)
    COMM.barrier()
    if COMM.rank == 0:
        mesh = meshio.read(path)
        assert mesh.points[:, 0].max() == pytest.approx(R, rel=1e-12)
        assert mesh.points[:, 1].max() == pytest.approx(domain.height, rel=1e-12)
        assert set(mesh.field_data) >= {"cathode", "top", "interface:separator/anode"}


def test_names_and_tags_agree_on_all_ranks():
    domain = build_domain(Stack("3d", mesh_size=0.1e-3), COMM)
    everywhere = COMM.allgather((domain.regions, domain.boundaries))
    assert all(names == everywhere[0] for names in everywhere)


def test_gmsh_failure_is_raised_on_every_rank():
    layers = [Layer("cathode", 0.1e-3), Layer("separator", 0.0)]
    with pytest.raises(GeometryError, match="meshing the 3d geometry failed"):
        build_domain(Stack("3d", layers=layers), COMM)
    assert not gmsh.isInitialized()  # the rank-0 session was closed
    COMM.barrier()  # every rank got here: nobody hangs in model_to_mesh


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        (Stack("plane_strain", layers=[Layer("a", 1e-4), Layer("a", 1e-4)]), "unique"),
        (Stack("plane_strain", layers=[Layer("top", 1e-4)]), "clash"),
        (Stack("plane_strain", layers=[]), "at least one layer"),
        (Stack("2d"), "unknown geometry dimension"),
        (Inclusion("3d", inclusion_radius=20e-6), "inclusion_radius < outer_radius"),
    ],
)
def test_invalid_geometry_is_rejected_before_meshing(geometry, message):
    with pytest.raises(GeometryError, match=message):
        build_domain(geometry, COMM)
