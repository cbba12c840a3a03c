"""Verification: crack-risk measures (physics.md sections 8 and 10f).

A homogeneous shell with its outer surface fixed and a uniform eigenstrain
stays at u = 0: the stress is uniform and hydrostatic, in finite strain
σ = g³[μ(1/g² − 1) − 3λ ln g] (10b, constant gap), tension where the
material shrinks (g < 1). On it, per region:

* Weibull P_f = 1 − exp[−(V/V0)(σ/σ0)^m] (10f) and V_eff = V;
* risk ratio σ/σ_t and critical flaw size (1/π)(K_IC/(Y σ))²;
* the interface opening risk σ/s (t_n = σ on any facet);
* in compression (g > 1): P_f = 0, V_eff = 0, a_c at its cap.

Two layers pressed in a die (σ_zz = −p, lateral −p ν/(1 − ν)): the
interface opening risk reads the normal stress, the risk ratio the largest
principal stress, and a material with a tensile strength only gets only the
risk ratio.

A prescribed σ1 rising linearly from 0 to σ̂ along z gives the effective
volume V/(m + 1) in the limit; the quadrature error falls under refinement.
"""

import math

import numpy as np
import pytest
import ufl
from closed_forms import die_constant_gap_stress, lame
from simulate import simulate

from chemomech.case import load_case_text
from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.materials.fracture import EDGE_CRACK, FractureProperties, region_fracture
from chemomech.output.interfaces import InterfaceTractions
from chemomech.output.risk import FLAW_CAP, RiskMeasures, critical_flaw_size, update_extremes, weibull
from chemomech.output.stress import StressFields
from chemomech.solve.simulation import build_simulation

A, B = 5e-6, 15e-6
E, NU = 20e9, 0.3
SHRINK = -0.004  # relative volume change of the active phase at ξ = 1
STRENGTH_IN, STRENGTH_OUT = 60e6, 40e6  # tensile strengths of inclusion and matrix
M, SCALE = 4.0, 50e6
TOUGHNESS, Y = 0.3e6, 1.3


def reference_volumes(kind: str) -> tuple[float, float]:
    """V0 of inclusion and matrix: three times their volume (a quarter disk 1 m deep, a half or an eighth sphere)."""
    inner, outer = A**2, B**2 - A**2
    if kind == "plane_strain":
        return 3 * math.pi / 4 * inner, 3 * math.pi / 4 * outer
    share = 2 / 3 if kind == "axisymmetric" else 1 / 6
    return 3 * share * math.pi * A**3, 3 * share * math.pi * (B**3 - A**3)


def fracture(strength: float, volume: float, geometry_factor: str = f"geometry_factor: {Y}, ") -> str:
    return (
        f"fracture: {{tensile_strength: {strength / 1e6} MPa, weibull_modulus: {M}, weibull_scale: {SCALE / 1e6} MPa, "
        f"weibull_volume: {volume * 1e18:.12g} um3, fracture_toughness: {TOUGHNESS / 1e6} MPa*m^0.5, "
        f"{geometry_factor}}}"
    )


def shell_case(kind: str, volume_change: float, risk: str = "") -> str:
    """Two regions of one elastic law (different strengths), outer surface fixed, uniform growth.

    With the risk fields kept (``outputs.fields``; simulate() writes nothing).
    """
    v_in, v_out = reference_volumes(kind)
    law = (
        f"youngs_modulus: {E / 1e9} GPa, poisson_ratio: {NU}, active_fraction: 1.0, "
        f"swelling: {{table: {{xi: [0, 1], volume_change: [0, {volume_change}]}}}}"
    )
    return f"""
geometry:
  type: inclusion
  dimension: {kind}
  inclusion_radius: {A * 1e6} um
  outer_radius: {B * 1e6} um
  inclusion_material: inner
  matrix_material: outer
  outer_boundary: fixed
  mesh_size: 4 um
materials:
  inner: {{{law}, {fracture(STRENGTH_IN, v_in)}}}
  outer: {{{law}, {fracture(STRENGTH_OUT, v_out, "")}}}
lithiation:
  protocol: [{{step: discharge, rate: 1 C, until_xi: 1.0}}]
outputs: {{fields: true}}
solver: {{max_xi_step: 1.0, newton_rtol: 1.0e-12}}
{risk}
"""


def uniform_stress(volume_change: float) -> float:
    mu, lmbda = lame(E, NU)
    return die_constant_gap_stress((1 + volume_change) ** (1 / 3), mu, lmbda)


def region_volume(sim, region: str) -> float:
    model = sim.model
    form = dolfinx.fem.form(model.weight * model.dx(sim.domain.regions[region]))
    return sim.domain.mesh.comm.allreduce(dolfinx.fem.assemble_scalar(form))


def owned_values(sim, function, region: str) -> np.ndarray:
    mesh = sim.domain.mesh
    cells = sim.domain.cell_tags.find(sim.domain.regions[region])
    cells = cells[cells < mesh.topology.index_map(mesh.topology.dim).size_local]
    return function.x.array[function.function_space.dofmap.list[cells, 0]]


def sim_interfaces(sim) -> dict:
    """The normal-traction statistics of the run's internal interfaces."""
    return InterfaceTractions(sim.model, sim.stresses, E).statistics()


KINDS = ["plane_strain", "axisymmetric", "3d"]


@pytest.mark.parametrize("kind", KINDS)
def test_uniform_tension_against_hand_values(kind):
    sim, _ = simulate(shell_case(kind, SHRINK, "risk: {interfaces: {interface: 25 MPa}}"))
    sigma = uniform_stress(SHRINK)
    assert sigma > 30e6  # tension, of the order of the strengths
    sim.risk.update()
    row = sim.risk.columns(sim_interfaces(sim))
    regions = [("inclusion", STRENGTH_IN, Y), ("matrix", STRENGTH_OUT, EDGE_CRACK)]
    for (region, strength, geometry_factor), reference in zip(regions, reference_volumes(kind), strict=True):
        volume = region_volume(sim, region)
        expected = 1 - math.exp(-(volume / reference) * (sigma / SCALE) ** M)
        assert 0.05 < expected < 0.95  # a probability that depends on every parameter
        assert row[f"{region}_failure_probability [-]"] == pytest.approx(expected, rel=1e-6)
        assert row[f"{region}_effective_volume [m3]"] == pytest.approx(volume, rel=1e-6)
        assert row[f"{region}_risk_ratio_max [-]"] == pytest.approx(sigma / strength, rel=1e-6)
        flaw = (TOUGHNESS / (geometry_factor * sigma)) ** 2 / math.pi
        assert row[f"{region}_critical_flaw_size_min [um]"] == pytest.approx(flaw * 1e6, rel=1e-6)
        np.testing.assert_allclose(owned_values(sim, sim.risk.risk_ratio, region), sigma / strength, rtol=1e-6)
        np.testing.assert_allclose(owned_values(sim, sim.risk.critical_flaw_size, region), flaw, rtol=1e-6)
    assert row["interface_opening_risk_max [-]"] == pytest.approx(sigma / 25e6, rel=1e-6)
    # A run that writes no fields keeps none, and its columns are the same.
    bare = StressFields(sim.model, keep_fields=False)
    bare_risk = RiskMeasures(sim.model, bare, region_fracture(sim.case), sim.risk.strengths)
    bare.update()
    assert bare_risk.fields() == [] and len(sim.risk.fields()) == 2
    assert bare_risk.columns(sim_interfaces(sim)) == row


def test_default_interface_strength_is_the_weaker_side():
    sim, _ = simulate(shell_case("axisymmetric", SHRINK))
    strength, source = sim.risk.strengths["interface"]
    assert strength == STRENGTH_OUT and source.startswith("tensile strength of matrix: case file")
    row = sim.risk.columns(sim_interfaces(sim))
    assert row["interface_opening_risk_max [-]"] == pytest.approx(uniform_stress(SHRINK) / STRENGTH_OUT, rel=1e-6)
    sim, _ = simulate(shell_case("axisymmetric", SHRINK, "risk: {interface_strength: 10 MPa}"))
    assert sim.risk.strengths["interface"] == (10e6, "case file (risk.interface_strength)")


@pytest.mark.parametrize("kind", ["plane_strain", "3d"])
def test_compression_has_no_failure_probability_and_no_flaw(kind):
    sim, _ = simulate(shell_case(kind, -SHRINK))
    sigma = uniform_stress(-SHRINK)
    assert sigma < -30e6
    sim.risk.update()
    row = sim.risk.columns(sim_interfaces(sim))
    for region, strength in [("inclusion", STRENGTH_IN), ("matrix", STRENGTH_OUT)]:
        assert row[f"{region}_failure_probability [-]"] == 0.0
        assert row[f"{region}_effective_volume [m3]"] == 0.0
        assert row[f"{region}_critical_flaw_size_min [um]"] == FLAW_CAP * 1e6
        assert row[f"{region}_risk_ratio_max [-]"] == pytest.approx(sigma / strength, rel=1e-6)
        assert np.all(owned_values(sim, sim.risk.critical_flaw_size, region) == FLAW_CAP)
    assert row["interface_opening_risk_max [-]"] == pytest.approx(sigma / STRENGTH_OUT, rel=1e-6)


def pressed_pair(kind: str) -> str:
    """Two identical elastic layers in a die under 10 MPa: σ_zz = −p, σ_rr = σ_θθ = −p ν/(1 − ν)."""
    return f"""
geometry:
  type: stack
  dimension: {kind}
  diameter: 200 um
  mesh_size: 25 um
  layers: [{{name: lower, material: se, thickness: 50 um}}, {{name: upper, material: se, thickness: 50 um}}]
materials:
  se: {{youngs_modulus: {E / 1e9} GPa, poisson_ratio: {NU}, fracture: {{tensile_strength: {STRENGTH_OUT / 1e6} MPa}}}}
mechanics: {{kinematics: small_strain}}
lithiation:
  protocol: [{{step: discharge, rate: 1 C, until_xi: 1.0}}]
fixture: {{preload: 10 MPa, type: pressure}}
outputs: {{fields: true}}
solver: {{max_xi_step: 1.0, newton_rtol: 1.0e-12}}
risk: {{interfaces: {{lower/upper: 4 MPa}}}}
"""


@pytest.mark.parametrize("kind", ["axisymmetric", "3d"])
def test_stack_interface_reads_the_normal_stress(kind):
    """The opening risk takes the traction normal to the layers (σ_zz), the risk ratio the largest principal stress."""
    sim, _ = simulate(pressed_pair(kind))
    sim.risk.update()
    row = sim.risk.columns(sim_interfaces(sim))
    pressure = 10e6
    assert row["lower/upper_opening_risk_max [-]"] == pytest.approx(-pressure / 4e6, rel=1e-6)
    lateral = -pressure * NU / (1 - NU)
    for region in ("lower", "upper"):
        assert row[f"{region}_risk_ratio_max [-]"] == pytest.approx(lateral / STRENGTH_OUT, rel=1e-6)
        assert f"{region}_failure_probability [-]" not in row  # no Weibull data: no column
        assert f"{region}_critical_flaw_size_min [um]" not in row
    assert sim.risk.fields() == [sim.risk.risk_ratio]


# --- a prescribed linear σ1: the effective volume and its quadrature error


HEIGHT = 20e-6


def linear_stack(kind: str, mesh_size: float) -> str:
    return f"""
geometry:
  type: stack
  dimension: {kind}
  diameter: 40 um
  mesh_size: {mesh_size} um
  layers: [{{name: bar, material: Li6PS5Cl, thickness: {HEIGHT * 1e6} um}}]
fixture: {{type: gap}}
outputs: {{fields: false}}
"""


def linear_weibull_integral(kind: str, mesh_size: float, m: float) -> tuple[float, float]:
    """(∫ (σ1/σ̂)^m dV from P_f, V/(m + 1)) for σ1 = σ̂ z/H at the quadrature points of the stack's one layer.

    The integral is read back from P_f = 1 − exp[−(1/V0) ∫ (σ1/σ0)^m dV]: the
    effective volume itself is relative to the largest σ1 at a quadrature
    point, which is below σ̂.
    """
    sim = build_simulation(load_case_text(linear_stack(kind, mesh_size)), MPI.COMM_WORLD)
    model, mesh = sim.model, sim.domain.mesh
    index_map = mesh.topology.index_map(mesh.topology.dim)
    cells = np.arange(index_map.size_local + index_map.num_ghosts, dtype=np.int32)
    height = ufl.SpatialCoordinate(mesh)[mesh.geometry.dim - 1]
    z = dolfinx.fem.Expression(height, model.quadrature_points).eval(mesh, cells).reshape(cells.size, -1)
    peak = 80e6
    stress = np.zeros((*z.shape, 3, 3))
    stress[..., 0, 0] = peak * z / HEIGHT  # σ1 = σ_xx; the compressive σ_zz is not σ1
    stress[..., 2, 2] = -peak
    volume = region_volume(sim, "bar")
    props = FractureProperties(weibull_modulus=m, weibull_scale=SCALE, weibull_volume=volume)
    risk = RiskMeasures(sim.model, sim.stresses, {"bar": props}, {})  # keeps σ1 at the points from now on
    sim.stresses.update(stress)
    row = risk.columns({})
    exponent = -math.log1p(-row["bar_failure_probability [-]"])
    return exponent * volume * (SCALE / peak) ** m, volume / (m + 1)


@pytest.mark.parametrize("kind, order", [("plane_strain", 2), ("axisymmetric", 3), ("3d", 2)])
def test_linear_stress_weibull_integral_converges(kind, order):
    """Measured: plane strain 8.1, 2.4, 0.56 % (rates 1.8, 2.1); axisymmetric 1e-3, 7e-5, 4e-6 (rates 3.8, 4.1);
    3D 8.9, 2.3 % (rate 1.9). The default quadrature has degree 1 (P1), 2 in axisymmetry."""
    sizes = [5.0, 2.5] if kind == "3d" else [5.0, 2.5, 1.25]
    errors = []
    for size in sizes:
        integral, exact = linear_weibull_integral(kind, size, 8.0)
        errors.append(abs(integral / exact - 1))
    rate = math.log2(errors[-2] / errors[-1])
    assert errors[-1] < 0.03
    assert rate > order - 0.2


# --- unit checks of the formulas


def test_weibull_of_two_stress_levels_by_hand():
    props = FractureProperties(weibull_modulus=3.0, weibull_scale=10.0, weibull_volume=2.0)
    sigma = np.array([10.0, 5.0, -4.0])
    volumes = np.array([1.0, 2.0, 7.0])
    probability, effective = weibull(sigma, volumes, props, MPI.COMM_SELF)
    assert effective == pytest.approx(1.0 + 2.0 * 0.5**3)
    assert probability == pytest.approx(1 - math.exp(-(1.0 + 2.0 * 0.125) / 2.0))


def test_critical_flaw_size_formula_and_cap():
    flaw = critical_flaw_size(np.array([50e6, 0.0, -1e6, 1.0]), 0.23e6, 1.12)
    assert flaw[0] == pytest.approx((0.23e6 / (1.12 * 50e6)) ** 2 / math.pi)
    assert list(flaw[1:]) == [FLAW_CAP] * 3


def test_extremes_over_a_run():
    extremes = {}
    for row in ({"a_risk_ratio_max [-]": 0.2, "a_critical_flaw_size_min [um]": 9.0, "time [s]": 0.0},
                {"a_risk_ratio_max [-]": 0.1, "a_critical_flaw_size_min [um]": 3.0, "time [s]": 1.0}):
        update_extremes(extremes, row)
    assert extremes == {"a_risk_ratio_max [-]": 0.2, "a_critical_flaw_size_min [um]": 3.0}


def test_library_defaults_and_overrides():
    text = linear_stack("plane_strain", 5.0).replace(
        "material: Li6PS5Cl", "material: se"
    ) + "materials:\n  se: {base: Li6PS5Cl, fracture: {weibull_modulus: 12}}\n"
    (props,) = region_fracture(load_case_text(text)).values()
    assert props.weibull_modulus == 12 and props.sources["weibull_modulus"] == "case file"
    assert props.fracture_toughness == pytest.approx(0.23e6)
    assert props.sources["fracture_toughness"].startswith("materials.csv: McGrogan")
    assert props.tensile_strength == pytest.approx(50e6) and props.geometry_factor == EDGE_CRACK
    no_data = linear_stack("plane_strain", 5.0).replace("material: Li6PS5Cl", "material: sulfur")
    assert region_fracture(load_case_text(no_data)) == {}
