"""Generated particle RVEs (chemomech.geometry.rve): the mesh, its metrics and its supports.

The packing itself (fractions, gaps, seeds) is tested in test_packing.py and
the metrics on hand-made meshes in test_microstructure_metrics.py; here the
whole path case → packing → OCC → mesh → DOLFINx is checked, in plane strain
and 3D, also under mpiexec -n 2:

* the same seed gives the same mesh, another seed another one;
* the distributed mesh has the regions, box faces and interfaces named as in
  chemomech.geometry.box, with the volumes microstructure.json reports;
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
from chemomech.geometry import build_domain
from chemomech.output.interfaces import InterfaceTractions

E, NU, BETA = 10e9, 0.3, 0.787
SIZE = {"plane_strain": [24, 20], "3d": [16, 16, 14]}  # um


def rve_case(kind: str, *, seed: int = 1, material: str = "Li6PS5Cl", fixture: str = "{type: gap}") -> str:
    """Active and carbon particles and pores in an electrolyte matrix; with a ``material`` other than
    Li6PS5Cl every solid phase is that material and there are no pores (a homogeneous body)."""
    size = ", ".join(f"{length} um" for length in SIZE[kind])
    pores = "- {name: pores, void: true, volume_fraction: 0.04, radius: 1.6 um}" if material == "Li6PS5Cl" else ""
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
        volume_fraction: 0.05, radius: 1.8 um}}
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
    first, again, other = (domain_of(rve_case(kind, seed=seed)) for seed in (1, 1, 2))
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
def test_homogeneous_rve_under_a_constant_gap_is_the_rigid_die(kind):
    sim, history = simulate(rve_case(kind, material="active"))
    mu, lmbda = lame(E, NU)
    g = (1 + BETA) ** (1 / 3)
    sigma = die_constant_gap_stress(g, mu, lmbda)
    _, pressure, _ = history[-1]
    assert pressure == pytest.approx(-sigma, rel=1e-6)
    tractions = InterfaceTractions(sim.model, sim.stresses).statistics()
    assert tractions.keys() == {"interface:electrolyte/active", "interface:electrolyte/carbon"}
    for values in tractions.values():
        assert values["normal_traction_min"] == pytest.approx(sigma, rel=1e-6)
        assert values["normal_traction_max"] == pytest.approx(sigma, rel=1e-6)
        assert values["tensile_area_fraction"] == 0.0


@pytest.mark.parametrize("kind", ["plane_strain", "3d"])
def test_homogeneous_rve_under_a_constant_pressure_is_the_rigid_die(kind):
    p = 20e6
    sim, history = simulate(rve_case(kind, material="active", fixture=f"{{type: pressure, pressure: {p / 1e6} MPa}}"))
    mu, lmbda = lame(E, NU)
    s = die_constant_pressure_stretch(p, (1 + BETA) ** (1 / 3), mu, lmbda)
    _, pressure, displacement = history[-1]
    assert pressure == pytest.approx(p, rel=1e-6)
    assert displacement / sim.domain.height == pytest.approx(s - 1, rel=1e-6)
    assert math.isfinite(displacement)
