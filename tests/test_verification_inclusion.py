"""Verification: misfitting sphere in a finite shell (physics.md 10d).

Small eigenstrain ε* in the inclusion (radius a) of a free shell (radius b):
the inclusion is uniformly hydrostatic at −p with
p = 12 K_i G_m ε* (1 − f) / [3K_i + 4G_m(1 − f) + 4 G_m f K_i / K_m],
f = a³/b³. The interface pressure is read as minus the inclusion's mean
hydrostatic stress and must converge under mesh refinement; the interface
normal-traction output must converge to −p, and the matrix hoop stress at
the interface to the Lamé shell's p(1 + 2f)/(2(1 − f)).
"""

import itertools
import math

import numpy as np
from closed_forms import lame, shell_interface_pressure
from simulate import simulate

from chemomech.dolfinx_compat import dolfinx
from chemomech.output.interfaces import InterfaceTractions

A, B = 5e-6, 15e-6
EPS = 1e-3
BETA = (1 + EPS) ** 3 - 1  # Jg = (1 + ε*)³ at ξ = 1
E_I, NU_I, E_M, NU_M = 80e9, 0.2, 22e9, 0.37


def inclusion_case(kind: str, mesh_size: float) -> str:
    return f"""
geometry:
  type: inclusion
  dimension: {kind}
  inclusion_radius: {A * 1e6} um
  outer_radius: {B * 1e6} um
  inclusion_material: particle
  matrix_material: electrolyte
  mesh_size: {mesh_size * 1e6} um
materials:
  particle: {{youngs_modulus: {E_I / 1e9} GPa, poisson_ratio: {NU_I}, active_fraction: 1.0, swelling: {{beta: {BETA}}}}}
  electrolyte: {{youngs_modulus: {E_M / 1e9} GPa, poisson_ratio: {NU_M}}}
mechanics: {{kinematics: small_strain}}
lithiation:
  protocol: [{{step: discharge, rate: 1 C, until_xi: 1.0}}]
outputs: {{fields: false}}
solver: {{max_xi_step: 1.0, newton_rtol: 1.0e-12}}
"""


def exact_pressure() -> float:
    mu_i, lmbda_i = lame(E_I, NU_I)
    mu_m, lmbda_m = lame(E_M, NU_M)
    return shell_interface_pressure(A, B, EPS, lmbda_i + 2 * mu_i / 3, mu_m, lmbda_m + 2 * mu_m / 3)


def interface_pressure_error(kind: str, mesh_size: float) -> float:
    sim, _ = simulate(inclusion_case(kind, mesh_size))
    pressure = -sim.stresses.region_statistics()["inclusion"]["hydrostatic_mean"]
    return abs(pressure / exact_pressure() - 1)


def test_interface_pressure_converges_at_second_order_axisymmetric():
    errors = [interface_pressure_error("axisymmetric", A / n) for n in (2, 4, 8, 16)]
    assert errors[-1] < 0.005
    orders = [math.log2(coarse / fine) for coarse, fine in itertools.pairwise(errors)]
    assert min(orders) > 1.7, orders


def test_interface_pressure_converges_3d():
    errors = [interface_pressure_error("3d", A / n) for n in (2, 4, 8)]
    assert errors[-1] < 0.03
    assert errors[0] > errors[1] > errors[2]


def interface_errors(interface_size: float) -> tuple[float, float]:
    """Relative errors of the mean normal traction on the particle/matrix interface
    (chemomech.output.interfaces) and of the matrix hoop stress at the interface."""
    text = inclusion_case("axisymmetric", A / 4).replace(
        "outer_radius:", f"interface_mesh_size: {interface_size * 1e6} um\n  outer_radius:"
    )
    sim, _ = simulate(text)
    traction = InterfaceTractions(sim.model, sim.stresses, sim.fields.max_youngs_modulus).statistics()["interface"]
    assert traction["tensile_area_fraction"] == 0.0  # a swelling particle presses on its matrix everywhere
    p, f = exact_pressure(), (A / B) ** 3
    hoop = p * (1 + 2 * f) / (2 * (1 - f))  # Lamé shell: σ_θθ(a⁺) = p f/(1 − f) (b³/(2a³) + 1)
    return abs(traction["normal_traction_mean"] / -p - 1), abs(matrix_hoop_stress(sim) / hoop - 1)


def matrix_hoop_stress(sim) -> float:
    """Mean over the interface (weights 2π r ds) of σ_θθ in the matrix cells along it (cell means)."""
    domain = sim.domain
    mesh = domain.mesh
    tdim = mesh.topology.dim
    mesh.topology.create_connectivity(tdim - 1, tdim)
    to_cells = mesh.topology.connectivity(tdim - 1, tdim)
    facets = domain.facet_tags.find(domain.boundaries["interface"])
    facets = facets[facets < mesh.topology.index_map(tdim - 1).size_local]
    matrix = set(domain.cell_tags.find(domain.regions["matrix"]).tolist())
    cells = np.array([next(c for c in to_cells.links(f) if c in matrix) for f in facets], dtype=np.int32)
    x = mesh.geometry.x[dolfinx.mesh.entities_to_geometry(mesh, tdim - 1, facets)]
    weights = np.linalg.norm(x[:, 1] - x[:, 0], axis=1) * x[:, :, 0].mean(axis=1)
    hoop = sim.stresses.cell_mean(cells)[:, 2, 2]  # the out-of-plane (θ) component in axisymmetry
    comm = mesh.comm
    return comm.allreduce(float(weights @ hoop)) / comm.allreduce(float(weights.sum()))


def test_interface_traction_and_hoop_stress_converge_to_the_shell():
    """The cell-mean estimates are first-order accurate: errors halve with the interface element size, and
    both the interface pressure and the matrix hoop tension are within 2 % at a/128."""
    errors = np.array([interface_errors(A / n) for n in (32, 64, 128)])
    assert errors[-1].max() < 0.02, errors
    for column in errors.T:
        orders = [math.log2(coarse / fine) for coarse, fine in itertools.pairwise(column)]
        assert min(orders) > 0.8, errors
