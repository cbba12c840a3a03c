"""Adaptive time stepping (chemomech.solve.adaptive) and the diffusion model's restarts.

* Easy steps (one Newton iteration, uniform lithiation) grow by ``growth``
  until the lithiation change per step reaches ``target_xi_change``, then
  hold; every protocol step is reached exactly and restarts from
  ``initial_time_step``.
* Hard steps (at least ``hard_newton_iterations``) shrink by ``shrink``
  down to ``min_time_step``; easy ones grow again.
* A flux surface the mesh does not have is refused (GeometryError).
* A diffusion run with adaptive steps stopped after a step and restarted
  from its checkpoint (concentration, time step) gives the uninterrupted
  series.
"""

import numpy as np
import pytest
from simulate import run_interrupted, simulate

from chemomech.case import load_case_text
from chemomech.dolfinx_compat import MPI
from chemomech.errors import GeometryError
from chemomech.output.series import read_series
from chemomech.solve.run import run_case
from chemomech.solve.simulation import build_simulation

PARTICLE = """
geometry: {{type: particle, dimension: axisymmetric, radius: 5 um, material: sulfur, mesh_size: 2 um}}
mechanics: {{kinematics: {kinematics}}}
lithiation:
  protocol:
    - {{step: discharge, rate: 1 C, until_xi: 0.5}}
    - {{step: rest, duration: 100 s}}
outputs: {{fields: false, figures: false}}
solver:
  adaptive: {{initial_time_step: 10 s, min_time_step: 2 s, max_time_step: 1000 s, target_xi_change: 0.1, {extra}}}
"""


def step_lengths(history) -> list[float]:
    times = [state.time for state, _, _ in history if state.stage == "cycling"]
    return list(np.diff([0.0, *times]))


def test_easy_steps_grow_to_the_lithiation_target():
    _, history = simulate(PARTICLE.format(kinematics="small_strain", extra=""))
    lengths = step_lengths(history)
    # 1C: Δξ = h / 3600 reaches 0.1 at h = 360 s; 1.5× growth from 10 s until then
    expected, h, time = [], 10.0, 0.0
    while time + h < 1800 - 1e-9:
        expected.append(h)
        time += h
        h = min(1.5 * h, 360.0)
    expected.append(1800 - time)  # the end of the discharge, exactly
    expected += [10.0, 15.0, 22.5, 33.75, 100 - 81.25]  # the rest starts again from 10 s (Δξ = 0: growth)
    assert lengths == pytest.approx(expected, rel=1e-9)
    assert history[-1][0].time == pytest.approx(1900, rel=1e-12)


def test_hard_steps_shrink_to_the_smallest_step():
    """Every step with at least 2 Newton iterations (hard here) halves the next, down to 2 s;
    one with a single iteration (easy) lets it grow again."""
    text = PARTICLE.format(kinematics="finite_strain", extra="easy_newton_iterations: 1, hard_newton_iterations: 2")
    text = text.replace("until_xi: 0.5", "until_xi: 0.02").replace("    - {step: rest, duration: 100 s}\n", "")
    sim = build_simulation(load_case_text(text), MPI.COMM_WORLD)
    steps = [(state.time, stats.newton_iterations) for state, stats in sim.run_schedule() if state.stage == "cycling"]
    sim.stepper.close()
    times, newton = zip(*steps, strict=True)
    lengths = np.diff([0.0, *times])
    assert lengths[0] == 10.0 and any(n >= 2 for n in newton[:-2]) and any(n == 1 for n in newton[:-2])
    for k in range(len(lengths) - 2):  # the last step ends the protocol step
        if newton[k] >= 2:
            assert lengths[k + 1] == pytest.approx(max(0.5 * lengths[k], 2.0), rel=1e-9), (k, steps)
        else:
            assert lengths[k + 1] == pytest.approx(min(1.5 * lengths[k], 1000.0), rel=1e-9), (k, steps)
    assert times[-1] == pytest.approx(0.02 * 3600, rel=1e-12)


DIFFUSION = """
name: restart_diffusion
geometry: {type: particle, dimension: axisymmetric, radius: 0.5 um, material: sulfur, mesh_size: 0.125 um}
mechanics: {kinematics: small_strain}
lithiation:
  model: diffusion
  protocol: [{step: discharge, rate: C/10, until_xi: 0.12}]
  diffusion: {diffusivity: 1e-13 cm2/s, stress_assisted: true}
outputs: {fields: false, figures: false, checkpoint_every: 3}
solver:
  adaptive: {initial_time_step: 1 min, min_time_step: 1 s, max_time_step: 1 h, target_xi_change: 0.02}
"""


def test_diffusion_restarts_with_its_concentration_and_step(mpi_tmp_path):
    full = run_case(load_case_text(DIFFUSION), mpi_tmp_path / "full")
    stop, checkpoint = 7, 6
    run_interrupted(DIFFUSION, mpi_tmp_path / "out", stop)
    summary = run_case(load_case_text(DIFFUSION), mpi_tmp_path / "out", restart=True)
    assert summary["restarted_after_step"] == checkpoint
    restarted, uninterrupted = (read_series(mpi_tmp_path / name / "series.csv") for name in ("out", "full"))
    assert restarted.keys() == uninterrupted.keys()
    for column in ("time [s]", "xi_min [-]", "xi_max [-]", "particle_sigma1_max [MPa]"):
        np.testing.assert_allclose(restarted[column], uninterrupted[column], rtol=1e-8, err_msg=column)
    assert summary["steps"] == full["steps"]


def test_unknown_flux_surface_is_refused_on_every_rank():
    text = DIFFUSION.replace("stress_assisted: true}", "stress_assisted: true, surfaces: [surfce]}")
    with pytest.raises(GeometryError, match=r"unknown boundaries \['surfce'\]; the mesh has \['surface', "):
        build_simulation(load_case_text(text), MPI.COMM_WORLD)
