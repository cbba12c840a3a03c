"""Verification: counter-electrode breathing and the net stack signal (physics.md 5, 10c).

* Free breathing: a stack whose cathode holds the charge but does not swell
  (β = 0), free lateral faces and no stack load, changes thickness by exactly
  the counter electrode's breathing: −4.85 um (Li) and −2.94 um (LiIn) per
  mAh/cm² drawn on discharge, for every model dimension.
* LTO breathes isotropically, Jg = 1 + ΔV u at utilisation u: in a rigid die
  with no stack load its thickness follows 10b with σ_zz = 0.
* Net stack signal: a swelling cathode and a thinning Li anode in a compliant
  frame change the stack pressure by 10c with both eigenstrains.
"""

import math

import pytest
from closed_forms import (
    confined_free_strain,
    die_constant_pressure_stretch,
    lame,
    stack_pressure_change,
)
from simulate import simulate

from chemomech.physics.electrode_balance import MAH_PER_CM2, active_volumetric_capacity

DIAMETER = 1e-3
CATHODE, ANODE, ACTIVE = 40e-6, 60e-6, 0.3
CATHODE_CAPACITY = CATHODE * ACTIVE * active_volumetric_capacity("sulfur")  # C/m²


def free_breathing_case(kind: str, anode: str, lateral: str = "free") -> str:
    return f"""
geometry:
  type: stack
  dimension: {kind}
  diameter: {DIAMETER * 1e3} mm
  lateral: {lateral}
  mesh_size: 100 um
  layers:
    - {{name: cathode, material: cathode_m, thickness: {CATHODE * 1e6} um}}
    - {{name: separator, material: Li6PS5Cl, thickness: 50 um}}
    - {{name: anode, material: {anode}, thickness: {ANODE * 1e6} um}}
materials:
  cathode_m: {{youngs_modulus: 12 GPa, poisson_ratio: 0.3, active_fraction: {ACTIVE}, swelling: {{beta: 0}}}}
lithiation:
  protocol:
    - {{step: discharge, rate: 1 C, until_xi: 1.0}}
    - {{step: charge, rate: 1 C, until_xi: 0.0}}
fixture: {{type: pressure}}
outputs: {{fields: false}}
solver: {{max_xi_step: 0.5}}
"""


def discharged(history):
    """(state, pressure, displacement) at the end of the discharge."""
    return max(history, key=lambda entry: entry[0].xi)


@pytest.mark.parametrize("kind", ["plane_strain", "axisymmetric", "3d"])
@pytest.mark.parametrize("anode, per_capacity", [("Li_metal", 4.85), ("indium", 2.94)])
def test_plating_anode_thins_by_faraday(kind, anode, per_capacity):
    _, history = simulate(free_breathing_case(kind, anode))
    _, pressure, displacement = discharged(history)
    assert abs(pressure) < 10.0  # Pa: no stack load (Newton tolerance ~1e-9 of 22 GPa)
    drawn = CATHODE_CAPACITY / MAH_PER_CM2  # mAh/cm²
    assert displacement / 1e-6 / drawn == pytest.approx(-per_capacity, rel=5e-3)
    assert displacement / 1e-6 / drawn == pytest.approx(-per_capacity, rel=1e-8)  # homogeneous: exact
    assert abs(history[-1][2]) < 1e-9 * ANODE  # plated back on charge


@pytest.mark.parametrize("kind", ["axisymmetric", "3d"])
def test_lto_breathes_isotropically(kind):
    sim, history = simulate(free_breathing_case(kind, "LTO", lateral="die_wall"))
    lto = sim.materials["anode"]
    utilisation = -CATHODE_CAPACITY / (lto.breathing.volumetric_capacity * ANODE)
    g = math.cbrt(1 + lto.breathing.volume_change * utilisation)
    stretch = die_constant_pressure_stretch(0.0, g, *lame(lto.youngs_modulus, lto.poisson_ratio))
    assert lto.breathing.volume_change == pytest.approx(0.002)
    assert discharged(history)[2] == pytest.approx(ANODE * (stretch - 1), rel=1e-6)


def test_breathing_can_be_switched_off():
    case = free_breathing_case("axisymmetric", "anode_m")
    case = case.replace("materials:\n", "materials:\n  anode_m: {base: Li_metal, breathing: none}\n")
    _, history = simulate(case)
    assert abs(discharged(history)[2]) < 1e-12


def net_signal_case(
    kind: str, fixture: str, *, until_xi: float = 1.0, swelling: str = "", charge: bool = False, xi_step: float = 1.0
) -> str:
    back = ", {step: charge, rate: 1 C, until_xi: 0.0}" if charge else ""
    return f"""
geometry:
  type: stack
  dimension: {kind}
  diameter: {DIAMETER * 1e3} mm
  mesh_size: 100 um
  layers:
    - {{name: cathode, material: cathode_m, thickness: {CATHODE * 1e6} um}}
    - {{name: separator, material: Li6PS5Cl, thickness: 50 um}}
    - {{name: anode, material: lithium, thickness: {ANODE * 1e6} um}}
materials:
  cathode_m: {{youngs_modulus: 12 GPa, poisson_ratio: 0.3, active_fraction: {ACTIVE}{swelling}}}
  lithium: {{base: Li_metal, creep: false}}  # elastic: the closed form is linear elasticity
mechanics: {{kinematics: small_strain}}
lithiation:
  protocol: [{{step: discharge, rate: 1 C, until_xi: {until_xi}}}{back}]
fixture: {{preload: 10 MPa, {fixture}}}
outputs: {{fields: false}}
solver: {{max_xi_step: {xi_step}, newton_rtol: 1.0e-12}}
"""


@pytest.mark.parametrize("kind", ["axisymmetric", "3d"])
@pytest.mark.parametrize(
    "fixture, stiffness",
    [("type: gap", math.inf), ("type: spring, frame_stiffness: 5e7 N/m", 5e7)],
    ids=["gap", "spring"],
)
def test_net_stack_signal_of_cathode_and_anode(kind, fixture, stiffness):
    """A shallow discharge (ξ = 0.004): the stripped Li outweighs the swelling but the stack stays loaded."""
    xi = 0.004
    sim, history = simulate(net_signal_case(kind, fixture, until_xi=xi))
    preload = [p for state, p, _ in history if state.stage == "preload"][-1]
    rise = history[-1][1] - preload
    cathode, separator, anode = (sim.materials[name] for name in ("cathode", "separator", "anode"))
    swelling = math.cbrt(1 + ACTIVE * cathode.swelling.beta * xi) - 1
    thinning = -anode.breathing.thickness_per_charge * CATHODE_CAPACITY * xi / ANODE
    layers = [
        (CATHODE, cathode.youngs_modulus, cathode.poisson_ratio, confined_free_strain(cathode.poisson_ratio, swelling)),
        (50e-6, separator.youngs_modulus, separator.poisson_ratio, 0.0),
        (ANODE, anode.youngs_modulus, anode.poisson_ratio, confined_free_strain(anode.poisson_ratio, 0.0, thinning)),
    ]
    expected = stack_pressure_change(layers, math.pi * DIAMETER**2 / 4, stiffness)
    assert -10e6 < expected < -1e6  # the anode's signal dominates; the plunger still pushes
    assert rise == pytest.approx(expected, rel=1e-5, abs=1e-6 * 10e6)


@pytest.mark.parametrize(
    "fixture, stiffness",
    [("type: gap", math.inf), ("type: spring, frame_stiffness: 2e8 N/m", 2e8)],
    ids=["gap", "spring"],
)
def test_plunger_pushes_but_never_pulls(fixture, stiffness):
    """Stripping Li unloads the stack: p = max(0, P0 + Δp_10c(ξ)); the plunger lifts off and comes back."""
    text = net_signal_case(
        "axisymmetric", fixture, until_xi=0.01, swelling=", swelling: {beta: 0}", charge=True, xi_step=0.001
    )
    sim, history = simulate(text)
    separator, anode = sim.materials["separator"], sim.materials["anode"]
    cathode = sim.materials["cathode"]
    area = math.pi * DIAMETER**2 / 4
    cycling = [(state, p) for state, p, _ in history if state.stage == "cycling"]
    lifted = 0
    for state, pressure in cycling:
        thinning = -anode.breathing.thickness_per_charge * CATHODE_CAPACITY * state.xi / ANODE
        layers = [
            (CATHODE, cathode.youngs_modulus, cathode.poisson_ratio, 0.0),
            (50e-6, separator.youngs_modulus, separator.poisson_ratio, 0.0),
            (ANODE, anode.youngs_modulus, anode.poisson_ratio, thinning),
        ]
        expected = max(0.0, 10e6 + stack_pressure_change(layers, area, stiffness))
        assert pressure == pytest.approx(expected, rel=1e-5, abs=1e-6 * 10e6)
        lifted += expected == 0.0
    assert 4 <= lifted <= len(cycling) - 4  # it lifts off, and it touches down again
    assert cycling[-1][1] == pytest.approx(10e6, rel=1e-6)
