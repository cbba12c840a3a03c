"""Lithiation model ``electrode`` in a stack: the transport drives the cathode's ξ and the anode's breathing.

A small axisymmetric S||LPSCl||In stack with a poorly conducting cathode
(a lithiation front) runs a 2C discharge into its voltage cut-off, a rest,
a potentiostatic hold and a charge into its cut-off. Checked: the cut-offs
end the discharge and the charge early at the cut-off voltage (to 1 mV) and
the next step starts at once from the state reached (also with adaptive
steps); the held voltage is the cell voltage; charge passed equals
stored charge (1e-8) through every kind of step; every stack cathode cell
carries ξ of the transport cell holding its midpoint; the counter electrode
breathes with the mean ξ. Also under mpiexec -n 2. Bad electrode input:
clear errors with the field, exit code 2.
"""

import numpy as np
import pytest

from chemomech.case import CaseError, load_case_text
from chemomech.cli import main
from chemomech.dolfinx_compat import MPI
from chemomech.solve.simulation import build_simulation
from simulate import run_interrupted, simulate

CASE = """\
name: electrode_small
geometry:
  type: stack
  dimension: axisymmetric
  diameter: 1 mm
  lateral: die_wall
  mesh_size: 100 um
  layers:
    - {name: cathode, material: cathode_S, thickness: 100 um, mesh_size: 25 um}
    - {name: separator, material: Li6PS5Cl, thickness: 200 um}
    - {name: anode, material: indium, thickness: 100 um, mesh_size: 50 um}
materials:
  cathode_S:
    composition:
      basis: weight
      phases:
        sulfur: {material: sulfur, fraction: 0.30}
        electrolyte: {material: Li6PS5Cl, fraction: 0.50}
        carbon: {material: carbon_black_agglomerate, fraction: 0.20}
      porosity: 0.10
      matrix: electrolyte
lithiation:
  model: electrode
  protocol:
    - {step: discharge, rate: 2 C, until_xi: 1.0}
    - {step: rest, duration: 10 min}
    - {step: hold, voltage: 1.3 V, duration: 20 min}
    - {step: charge, rate: 1 C, until_xi: 0.0}
  electrode:
    electronic_conductivity: 1 S/cm
    cathode_tortuosity: 10
    exchange_current: 0.1 mA/cm2
    anode_exchange_current: 1 mA/cm2
    voltage_min: 1.0 V
    voltage_max: 1.75 V
    cathode_cells: 20
    separator_cells: 4
fixture:
  preload: 20 MPa
  type: gap
solver:
  max_xi_step: 0.1
"""


@pytest.fixture(scope="module")
def run():
    sim, _ = simulate(CASE)
    return sim


def test_cutoff_ends_the_discharge_and_the_next_step_starts(run):
    sim = run
    field = sim.coupled[0]
    assert set(field.cutoffs) == {0, 3}  # the discharge and the charge
    discharge = [t for t in sim.schedule if t.segment == 0]
    rest = [t for t in sim.schedule if t.segment == 1]
    # the rest follows the last discharge step at once, with the lithiation reached
    assert rest[0].time > discharge[-1].time
    assert rest[-1].time == pytest.approx(discharge[-1].time + 600.0, rel=1e-12)
    assert discharge[-1].time < 3600.0 / 2  # ended before the nominal 30 min
    assert rest[0].xi < 0.9
    assert field.cutoffs[3][1] == pytest.approx(1.75, abs=1e-3)  # the charge's cut-off
    assert field.mean_lithiation() > 0.01  # before until_xi 0


def test_series_of_the_steps():
    """Cut-off voltage, held voltage and conservation, step by step (a second run, observing each step)."""
    sim = build_simulation(load_case_text(CASE), MPI.COMM_WORLD)
    field = sim.coupled[0]
    rows = []
    for state, _ in sim.run_schedule():
        rows.append((state, field.columns()))
    sim.stepper.close()
    discharge = [(s, c) for s, c in rows if s.segment == 0]
    time, voltage = field.cutoffs[0]  # the current stopped there; the rest of that step is at open circuit
    assert voltage == pytest.approx(1.0, abs=1e-3)
    assert discharge[-2][0].time < time < discharge[-1][0].time
    assert all(c["cell_voltage [V]"] > 1.0 for _, c in discharge)
    discharge = [c for _, c in discharge]
    spread = [c["xi_max [-]"] - c["xi_min [-]"] for c in discharge]
    assert max(spread) > 0.3  # a front, not a uniform state
    rest = [c for s, c in rows if s.segment == 1]
    assert all(abs(c["cell_current_density [A/m2]"]) < 1e-6 for c in rest)
    hold = [c for s, c in rows if s.segment == 2]
    assert hold and all(c["cell_voltage [V]"] == pytest.approx(1.3, abs=1e-9) for c in hold)
    for _, c in rows:
        stored, passed = c["stored_charge [mAh/cm2]"], c["charge_passed [mAh/cm2]"]
        assert abs(stored - passed) <= 1e-8 * max(abs(stored), 1e-3)


def test_stack_cells_follow_the_transport(run):
    sim = run
    field = sim.coupled[0]
    profile = field._xi_profile
    cathode_xi = profile.values()[profile.positions < field.cathode_thickness]  # uniform cells from the collector
    width = field.cathode_thickness / cathode_xi.size
    index = np.minimum((field._positions / width).astype(int), cathode_xi.size - 1)
    assert np.allclose(sim.fields.xi.x.array[field._cells], np.clip(cathode_xi[index], 0, 1), atol=1e-14)
    low, mean, high = field.transport.lithiation_range()
    assert high - low > 0.05  # the check is not of a uniform state
    g, _ = sim.balance.counter_growth(mean)
    anode = sim.fields.region_cells["anode"]
    assert np.allclose(sim.fields.g.x.array[anode], g, rtol=1e-14)


BAD = CASE.replace("name: electrode_small\n", "")


@pytest.mark.parametrize(
    "old, new, path, fragment",
    [
        ("  model: electrode\n", "  model: uniform\n", "lithiation.electrode", "only for lithiation model 'electrode'"),
        ("    - {step: hold, voltage: 1.3 V, duration: 20 min}\n", "    - {step: hold, voltage: -1 V, duration: 20 min}\n",
         "lithiation.protocol[2].voltage", "positive voltage"),
        ("    cathode_cells: 20\n", "    cathode: catode\n", "lithiation.electrode.cathode", "did you mean 'cathode'"),
        ("    cathode_cells: 20\n", "    carbon_phase: graphite\n",
         "lithiation.electrode.carbon_phase", "graphite"),
        ("    voltage_max: 1.75 V\n", "    voltage_max: 0.5 V\n", "lithiation.electrode.voltage_max", "must exceed voltage_min"),
        ("    electronic_conductivity: 1 S/cm\n", "    electronic_conductivity: 1 mA/cm2\n",
         "lithiation.electrode.electronic_conductivity", "conductivity"),
        ("    cathode_cells: 20\n", "    equilibrium_potential: {xi: [0, 0.5, 0.4], voltage: [2, 1, 1]}\n",
         "lithiation.electrode.equilibrium_potential.xi", "must increase strictly"),
        ("material: indium,", "material: Li6PS5Cl,", "lithiation.electrode.equilibrium_potential",
         "no default curve against the anode material 'Li6PS5Cl'"),
        ("    - {name: separator, material: Li6PS5Cl, thickness: 200 um}\n", "", "lithiation.electrode.separator",
         "unknown layer"),
    ],
)
def test_bad_electrode_input(old, new, path, fragment):
    assert old in BAD
    with pytest.raises(CaseError) as info:
        load_case_text(BAD.replace(old, new), "case.yaml")
    assert any(p.path == path and fragment in str(p) for p in info.value.problems), [str(p) for p in info.value.problems]


def test_hold_needs_the_electrode_model():
    text = "geometry: {type: stack, dimension: axisymmetric, diameter: 1 mm, layers: [{name: c, material: sulfur, " \
           "thickness: 50 um}]}\nfixture: {type: gap}\nlithiation:\n  protocol:\n    - {step: hold, voltage: 1 V, duration: 1 h}\n"
    with pytest.raises(CaseError) as info:
        load_case_text(text, "case.yaml")
    assert any(p.path == "lithiation.protocol[0].step" and "needs lithiation model 'electrode'" in str(p)
               for p in info.value.problems)


def test_bad_electrode_input_exits_with_2(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text(BAD.replace("    voltage_max: 1.75 V\n", "    voltage_max: 0.5 V\n"), encoding="utf-8")
    assert main(["check", str(path)]) == 2


@pytest.mark.long  # three full runs with outputs: about 30 s
def test_restart_after_a_cutoff_and_a_hold(mpi_tmp_path):
    """A run stopped in the charge (after the cut-off and the hold rebuilt the schedule) restarts from
    its last checkpoint to the series of an uninterrupted run."""
    from chemomech.output.series import read_series
    from chemomech.solve.run import run_case

    case = CASE + "outputs: {figures: false, fields: false, checkpoint_every: 2}\n"
    run_case(load_case_text(case), mpi_tmp_path / "full")
    full = read_series(mpi_tmp_path / "full" / "series.csv")
    stop = len(full["step [-]"]) - 3
    run_interrupted(case, mpi_tmp_path / "out", stop)
    summary = run_case(load_case_text(case), mpi_tmp_path / "out", restart=True)
    assert summary["restarted_after_step"] == (stop - 1) // 2 * 2
    restarted = read_series(mpi_tmp_path / "out" / "series.csv")
    assert restarted.keys() == full.keys()
    for column in full:
        if column.endswith("_iterations [-]"):
            continue
        x, y = np.asarray(full[column]), np.asarray(restarted[column])
        assert x.shape == y.shape and np.max(np.abs(x - y)) <= 1e-7 * max(np.max(np.abs(x)), 1.0), column


def test_cutoff_with_adaptive_steps_starts_the_next_step_at_once():
    """With adaptive stepping the schedule has one target per protocol step: a cut-off drops the rest of
    the discharge (no open-circuit wait until its nominal end) and the rest starts where it was reached."""
    adaptive = CASE.replace("  max_xi_step: 0.1\n", "  adaptive: {initial_time_step: 1 min, min_time_step: 1 s, max_time_step: 5 min}\n")
    sim, history = simulate(adaptive)
    field = sim.coupled[0]
    assert set(field.cutoffs) == {0, 3}
    time, _ = field.cutoffs[0]
    states = [state for state, _, _ in history]
    discharge = [s for s in states if s.segment == 0]
    rest = [s for s in states if s.segment == 1]
    assert discharge[-1].time - time < 5 * 60.0  # ended within the step of the cut-off
    assert rest[-1].time == pytest.approx(discharge[-1].time + 600.0, rel=1e-12)
    assert states[-1].time == pytest.approx(field.cutoffs[3][0], abs=5 * 60.0)  # the charge's cut-off ends the run
