"""A pellet stack with inelastic layers: S cathode | compacting separator | creeping Li.

Under a constant gap the cathode's swelling would raise the pressure of a
dense elastic stack by hundreds of MPa (physics.md 10c); a pressed
separator compacts once the pressure reaches its pressing pressure and
absorbs the swelling (physics.md section 3, "Inelastic SE"). Checks:

* the pressure swing is several times smaller than with an elastic
  separator and an elastic Li foil, and once the separator compacts the
  swelling raises the pressure some fifty times less;
* on the plateau the stack pressure is the separator's die-compaction
  pressure at its current porosity, Heckel's P_H(φ) = (ln 1/φ − A) / k
  (the calibration of the cap), and the porosity has fallen;
* the Li foil carries no more than its yield stress in shear.

Runs serially and on 2 ranks; cases/pellet_S_Li_compaction_gap.yaml (the
same stack at full size) is compared between 1 and 2 ranks in test_cases.
"""

import math

import pytest

from simulate import simulate

from chemomech.materials.inelastic import compaction_defaults

PRESSED_AT = 125e6
PRELOAD = 50e6


def stack_case(inelastic: bool) -> str:
    separator = f"compaction: {{fabrication_pressure: {PRESSED_AT / 1e6} MPa}}" if inelastic else ""
    creep = "creep: {}" if inelastic else "creep: false"
    return f"""
geometry:
  type: stack
  dimension: axisymmetric
  diameter: 200 um
  mesh_size: 50 um
  layers:
    - {{name: cathode, material: cathode_S, thickness: 60 um, mesh_size: 30 um}}
    - {{name: separator, material: separator, thickness: 500 um}}
    - {{name: anode, material: lithium, thickness: 100 um}}
materials:
  cathode_S: {{youngs_modulus: 12 GPa, poisson_ratio: 0.3, active_fraction: 0.3}}
  separator: {{base: Li6PS5Cl, {separator}}}
  lithium: {{base: Li_metal, {creep}, breathing: none}}  # the separator's compaction alone
lithiation:
  protocol: [{{step: discharge, rate: 1 C, until_xi: 1.0}}, {{step: rest, duration: 1 h}}]
fixture: {{preload: {PRELOAD / 1e6} MPa, type: gap}}
outputs: {{fields: false}}
solver: {{max_xi_step: 0.1, max_time_step: 20 min}}
"""


def test_compacting_separator_absorbs_the_swelling():
    _, elastic = simulate(stack_case(inelastic=False))
    sim, inelastic = simulate(stack_case(inelastic=True))
    preload = [p for state, p, _ in inelastic if state.stage == "preload"][-1]
    assert preload == pytest.approx(PRELOAD, rel=1e-6)
    swing_elastic = max(p for _, p, _ in elastic) - PRELOAD
    swing = max(p for _, p, _ in inelastic) - PRELOAD
    assert swing_elastic > 300e6
    assert swing < swing_elastic / 4
    # From the step where the separator reaches its pressing pressure to the end of discharge:
    start = next(i for i, (_, p, _) in enumerate(inelastic) if p > PRESSED_AT)
    end = next(i for i, (state, _, _) in enumerate(inelastic) if state.xi == 1.0)
    assert inelastic[end][1] - inelastic[start][1] < (elastic[end][1] - elastic[start][1]) / 20

    sim.history.update()
    stats = sim.history.region_statistics()
    porosity = stats["separator"]["porosity_mean"]
    k, A = (compaction_defaults()[key][0] for key in ("heckel_slope", "heckel_intercept"))
    assert porosity < math.exp(-(k * PRESSED_AT + A)) - 1e-3  # compacted beyond the pressing
    final_pressure = inelastic[-1][1]
    assert final_pressure == pytest.approx((-math.log(porosity) - A) / k, rel=1e-2)
    assert final_pressure > PRESSED_AT
    assert stats["anode"]["creep_strain_max"] > 0
    assert sim.stresses.region_statistics()["anode"]["von_mises_max"] <= 0.8e6 * (1 + 1e-6)
