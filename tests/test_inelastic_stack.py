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
* the Li foil carries no more than its yield stress in shear;
* a run stopped mid-compaction and restarted from its checkpoint continues
  with the same history (porosity, creep strain) as an uninterrupted one.

Runs serially and on 2 ranks; cases/pellet_S_Li_compaction_gap.yaml (the
same stack at full size) is compared between 1 and 2 ranks in test_cases.
"""

import gc
import math

import numpy as np
import pytest

from simulate import simulate

from chemomech.case import load_case_text
from chemomech.materials.inelastic import compaction_defaults
from chemomech.output.series import read_series
from chemomech.solve.observe import StepObserver
from chemomech.solve.run import run_case

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


class Interrupted(Exception):
    """Stands in for a kill."""


def test_restart_carries_the_history(mpi_tmp_path, monkeypatch):
    """Stopped in the middle of the compaction, restarted from the last checkpoint: the same
    series as an uninterrupted run, porosity and creep strain included (the history at the
    quadrature points is part of the checkpoint)."""
    text = stack_case(inelastic=True).replace(
        "outputs: {fields: false}", "outputs: {fields: false, figures: false, checkpoint_every: 4}"
    )
    run_case(load_case_text(text), mpi_tmp_path / "reference")
    reference = read_series(mpi_tmp_path / "reference" / "series.csv")
    record = StepObserver.record

    def record_then_stop(observer, state, stats):
        record(observer, state, stats)
        if observer.steps - 1 == 10:  # after the checkpoint at step 8, on the cap
            raise Interrupted

    monkeypatch.setattr(StepObserver, "record", record_then_stop)
    with pytest.raises(Interrupted):
        run_case(load_case_text(text), mpi_tmp_path / "out")
    gc.collect()
    monkeypatch.undo()
    summary = run_case(load_case_text(text), mpi_tmp_path / "out", restart=True)
    assert summary["restarted_after_step"] == 8
    restarted = read_series(mpi_tmp_path / "out" / "series.csv")
    assert restarted.keys() == reference.keys()
    assert reference["separator_porosity_mean [-]"][8] < reference["separator_porosity_mean [-]"][0]
    for column in ("stack_pressure [MPa]", "separator_porosity_mean [-]", "anode_creep_strain_max [-]"):
        np.testing.assert_allclose(restarted[column], reference[column], rtol=1e-9, atol=1e-12, err_msg=column)
