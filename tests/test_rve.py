"""Generated particle RVEs (chemomech.geometry.rve): the mesh, its metrics and its supports.

The packing itself (fractions, gaps, seeds) is tested in test_packing.py and
the metrics on hand-made meshes in test_microstructure_metrics.py; here the
whole path case → packing → OCC → mesh → DOLFINx is checked, in plane strain
and 3D, also under mpiexec -n 2:

* the same seed gives the same mesh, another seed another one;
* the distributed mesh has the regions, box faces and interfaces named as in
  chemomech.geometry.box, with the volumes microstructure.json reports;
* carbon attached to the active particles makes an active/carbon interface
  and a triple-phase boundary, whose length converges to the exact rim of
  one attached sphere;
* an RVE whose phases are all one swelling material is a homogeneous body in
  a rigid die (rollers on the bottom and sides): under a constant gap its
  stack pressure is physics.md 10b's −σ = −g³[μ(1/g² − 1) − 3λ ln g] and every
  interface carries that normal traction; under a constant pressure its
  apparent axial strain is s − 1 with σ_zz(s) = −p.
"""

import math

import numpy as np
import pytest
import ufl

from closed_forms import die_constant_gap_stress, die_constant_pressure_stretch, lame
from simulate import simulate

from chemomech.case import load_case_text
from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.geometry import build_domain, rve
from chemomech.microstructure.lens import lens_volume, rim_radius
from chemomech.output.interfaces import InterfaceTractions

E, NU, BETA = 10e9, 0.3, 0.787
OVERLAP = 0.2
SIZE = {"plane_strain": [24, 20], "3d": [16, 16, 14]}  # um
SMALL = {"plane_strain": None, "3d": [11, 11, 10]}  # um: 10 particles in 3D, not 27 (a third of the OCC time)


def rve_case(
    kind: str,
    *,
    seed: int = 1,
    material: str = "Li6PS5Cl",
    fixture: str = "{type: gap}",
    attached: bool = False,
    size: list[float] | None = None,
) -> str:
    """Active and carbon particles and pores in an electrolyte matrix; with a ``material`` other than
    Li6PS5Cl every solid phase is that material and there are no pores (a homogeneous body); ``attached``
    puts the carbon (overlap 0.2) and the pores (0.3) on the active particles. ``size`` (um) defaults
    to ``SIZE[kind]``."""
    size = ", ".join(f"{length} um" for length in (size or SIZE[kind]))
    attach, pore_attach = (f", attach_to: active, overlap: {o}" if attached else "" for o in (OVERLAP, 0.3))
    pores = "- {name: pores, void: true, volume_fraction: 0.04, radius: 1.6 um" + pore_attach + "}"
    pores = pores if material == "Li6PS5Cl" else ""
    return f"""
name: rve_test
geometry:
  type: rve
  dimension: {kind}
  size: [{size}]
  matrix: {{name: electrolyte, material: {material}}}
  particles:
    - {{name: active, material: {"active" if material == "Li6PS5Cl" else material}, volume_fraction: 0.25,
        radius: 3 um, radius_spread: 0.2}}
    - {{name: carbon, material: {"carbon_black_agglomerate" if material == "Li6PS5Cl" else material},
        volume_fraction: 0.05, radius: 1.8 um{attach}}}
    {pores}
  seed: {seed}
  min_gap: 0.3 um
  boundary: cut
  mesh_size: 2.5 um
  interface_mesh_size: 0.8 um
  triple_phase: [active, electrolyte, carbon]
materials:
  active: {{youngs_modulus: {E / 1e9} GPa, poisson_ratio: {NU}, active_fraction: 1.0, swelling: {{beta: {BETA}}}}}
fixture: {fixture}
lithiation:
  protocol: [{{step: discharge, rate: 1 C, until_xi: 1.0}}]
outputs: {{fields: false}}
solver: {{max_xi_step: 0.5, newton_rtol: 1.0e-12, newton_atol: 1.0e-14}}
"""


def domain_of(text: str):
    return build_domain(load_case_text(text).geometry, MPI.COMM_WORLD)


def integral(domain, form) -> float:
    return domain.mesh.comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(form)))


@pytest.mark.parametrize("kind", ["plane_strain", "3d"])
def test_same_seed_same_mesh_other_seed_other_mesh(kind):
    size = SMALL[kind]
    first, again, other = (domain_of(rve_case(kind, seed=seed, size=size)) for seed in (1, 1, 2))
    cells = [d.mesh.topology.index_map(d.mesh.topology.dim).size_global for d in (first, again, other)]
    assert cells[0] == cells[1]
    assert first.metrics == again.metrics
    assert first.metrics["mesh"] != other.metrics["mesh"]
    assert cells[0] != cells[2]


@pytest.mark.parametrize("kind", ["plane_strain", "3d"])
def test_regions_faces_interfaces_and_volumes(kind):
    domain = domain_of(rve_case(kind))
    lengths = np.array(SIZE[kind]) * 1e-6
    assert list(domain.regions) == ["electrolyte", "active", "carbon"]
    faces = ["bottom", "top", "x_min", "x_max"] + (["y_min", "y_max"] if kind == "3d" else [])
    assert list(domain.boundaries)[: len(faces)] == faces
    internal = {"interface:electrolyte/active", "interface:electrolyte/carbon", "surface:electrolyte"}
    assert internal <= set(domain.boundaries)

    metrics = domain.metrics
    dx = ufl.Measure("dx", domain=domain.mesh, subdomain_data=domain.cell_tags)
    ds = ufl.Measure("ds", domain=domain.mesh, subdomain_data=domain.facet_tags)
    box_volume = float(np.prod(lengths))
    for name, tag in domain.regions.items():  # the distributed mesh is the one measured on the meshing rank
        volume = integral(domain, 1.0 * dx(tag))
        assert volume == pytest.approx(metrics["mesh"]["volume_fractions [-]"][name] * box_volume, rel=1e-10)
    for name, target in metrics["target_volume_fractions [-]"].items():
        assert metrics["packed_volume_fractions [-]"][name] == pytest.approx(target, rel=0.01)
        # faceted (inscribed) particle surfaces lose volume: up to 10 % for the smallest particles
        # at these coarse test sizes (interface elements about half the radius)
        meshed = metrics["mesh"]["volume_fractions [-]"][name]
        assert 0.9 * target < meshed < target * (1 + 1e-9)
    top = integral(domain, 1.0 * ds(domain.boundaries["top"]))
    assert top == pytest.approx(np.prod(lengths[:-1]) - _pore_cuts(domain, ds, "top"), rel=1e-10)
    assert domain.loaded_area == pytest.approx(np.prod(lengths[:-1]), rel=1e-12)


def _pore_cuts(domain, ds, face: str) -> float:
    """Area of ``face`` not covered by the mesh (pores cut by the face), from the mesh itself."""
    lengths = np.array(SIZE[domain.kind]) * 1e-6
    x = ufl.SpatialCoordinate(domain.mesh)
    gdim = domain.mesh.geometry.dim
    # every facet on the plane z = L_z belongs to 'top': compare with all boundary facets on that plane
    on_plane = ufl.conditional(ufl.gt(x[gdim - 1], lengths[-1] * (1 - 1e-9)), 1.0, 0.0)
    return np.prod(lengths[:-1]) - integral(domain, on_plane * ds)


@pytest.mark.parametrize("kind", ["plane_strain", "3d"])
def test_attached_carbon_makes_a_triple_phase_boundary(kind):
    """Carbon attached to the active particles meets them on an interface (the host's cap inside the carbon
    particle) whose rim is the triple-phase line: two points per carbon disc in 2D, a circle of radius ρ per
    carbon sphere in 3D, which the mesh inscribes with polygons. Pores attached to them leave the active
    particles whole, their caps in the pores open."""
    domain = domain_of(rve_case(kind, attached=True))
    assert {"surface:active", "interface:active/carbon"} <= set(domain.boundaries)
    assert "interface:active/active" not in domain.boundaries
    assert domain.metrics["mesh"]["interface_areas [m2]"]["active/pores"] > 0
    particles = rve.packing_of(load_case_text(rve_case(kind, attached=True)).geometry).particles
    carbon = [(p, particles[p.host]) for p in particles if p.phase == "carbon"]
    assert len(carbon) == domain.metrics["particle_count"]["carbon"] > 1
    R, r = (np.array([pair[i].radius for pair in carbon]) for i in (1, 0))
    d = np.array([math.dist(p.center, host.center) for p, host in carbon])
    plane = (d**2 + R**2 - r**2) / (2 * d)  # of the rim, from the host's centre
    mesh = domain.metrics["mesh"]
    if kind == "3d":
        exact_rim, exact_cap = np.sum(2 * np.pi * rim_radius(R, r, d)), np.sum(2 * np.pi * R * (R - plane))
        assert 0.95 * exact_rim < mesh["triple_phase_boundary_length [m]"] < exact_rim
    else:
        exact_cap = np.sum(2 * R * np.arccos(plane / R))  # the host's arc inside the carbon disc, per metre
        assert mesh["triple_phase_points [-]"] == 2 * len(carbon)
    # the inscribed facets lose about four times the rim's relative length: 7 % at these coarse sizes
    assert 0.85 * exact_cap < mesh["interface_areas [m2]"]["active/carbon"] < exact_cap
    dS = ufl.Measure("dS", domain=domain.mesh, subdomain_data=domain.facet_tags)
    area = integral(domain, 1.0 * dS(domain.boundaries["interface:active/carbon"]))
    assert area == pytest.approx(mesh["interface_areas [m2]"]["active/carbon"], rel=1e-10)


def one_attached_sphere(interface_mesh_size: float) -> str:
    """A host sphere (R = 4 µm) with one attached sphere (r = 2 µm, overlap 0.2) in a 16 µm box: explicit
    radii and fractions that hold exactly one particle each."""
    box = 16e-6**3
    host = 4 / 3 * math.pi * 4e-6**3 / box
    attached = (4 / 3 * math.pi * 2e-6**3 - lens_volume(4e-6, 2e-6, 5.2e-6, 3)) / box
    return f"""
geometry:
  type: rve
  dimension: 3d
  size: [16 um, 16 um, 16 um]
  matrix: {{name: electrolyte, material: Li6PS5Cl}}
  particles:
    - {{name: active, material: sulfur, volume_fraction: {host!r}, radius: 4 um, radii: [4 um]}}
    - {{name: carbon, material: carbon_black_agglomerate, volume_fraction: {float(attached)!r}, radius: 2 um,
        radii: [2 um], attach_to: active, overlap: {OVERLAP}}}
  seed: 3
  mesh_size: 4 um
  interface_mesh_size: {interface_mesh_size} um
  triple_phase: [active, electrolyte, carbon]
fixture: {{type: gap}}
"""


def test_triple_phase_length_of_one_attached_sphere_converges_to_its_rim():
    """The rim of a 2 µm sphere reaching 2 overlap r = 0.8 µm into a 4 µm one (centres 5.2 µm apart) is a
    circle of radius ρ = √(11.2 · 3.2 · 7.2 · 0.8) / 10.4 µm = 1.381 µm; the mesh's triple-phase edges
    inscribe it, short by about π²/(6 N²) with N = 2πρ / h edges: the error falls as h²."""
    exact = 2 * math.pi * float(rim_radius(4e-6, 2e-6, 5.2e-6))
    assert exact / (2 * math.pi) == pytest.approx(1.381e-6, rel=1e-3)
    errors = []
    for size in (1.6, 0.8, 0.4):  # errors 3.9 %, 1.4 %, 0.36 %
        metrics = build_domain(load_case_text(one_attached_sphere(size)).geometry, MPI.COMM_WORLD).metrics
        assert metrics["particle_count"] == {"active": 1, "carbon": 1}
        errors.append(1 - metrics["mesh"]["triple_phase_boundary_length [m]"] / exact)
    assert 0 < errors[2] < errors[1] < errors[0]
    assert errors[1] < 0.02
    assert errors[1] / errors[2] > 3  # second order


@pytest.mark.parametrize("kind", ["plane_strain", "3d"])
def test_homogeneous_rve_under_a_constant_gap_is_the_rigid_die(kind):
    sim, history = simulate(rve_case(kind, material="active", size=SMALL[kind]))
    mu, lmbda = lame(E, NU)
    g = (1 + BETA) ** (1 / 3)
    sigma = die_constant_gap_stress(g, mu, lmbda)
    _, pressure, _ = history[-1]
    assert pressure == pytest.approx(-sigma, rel=1e-6)
    tractions = InterfaceTractions(sim.model, sim.stresses, sim.fields.max_youngs_modulus).statistics()
    assert tractions.keys() == {"interface:electrolyte/active", "interface:electrolyte/carbon"}
    for values in tractions.values():
        assert values["normal_traction_min"] == pytest.approx(sigma, rel=1e-6)
        assert values["normal_traction_max"] == pytest.approx(sigma, rel=1e-6)
        assert values["tensile_area_fraction"] == 0.0


@pytest.mark.parametrize("kind", ["plane_strain", "3d"])
def test_homogeneous_rve_under_a_constant_pressure_is_the_rigid_die(kind):
    p = 20e6
    fixture = f"{{type: pressure, pressure: {p / 1e6} MPa}}"
    sim, history = simulate(rve_case(kind, material="active", fixture=fixture, size=SMALL[kind]))
    mu, lmbda = lame(E, NU)
    s = die_constant_pressure_stretch(p, (1 + BETA) ** (1 / 3), mu, lmbda)
    _, pressure, displacement = history[-1]
    assert pressure == pytest.approx(p, rel=1e-6)
    assert displacement / sim.domain.height == pytest.approx(s - 1, rel=1e-6)
    assert math.isfinite(displacement)
