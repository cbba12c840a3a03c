"""Progress of the stepping: fraction of the schedule, ETA, bar on a terminal, sparse lines otherwise."""

import io
import re
from dataclasses import replace

import pytest

from chemomech.case import load_case_text
from chemomech.dolfinx_compat import MPI
from chemomech.output.progress import ProgressDisplay, ScheduleFraction
from chemomech.physics.lithiation import Target, build_schedule
from chemomech.solve.run import run_case

CASE = """
name: progress_stack
geometry:
  type: stack
  dimension: axisymmetric
  diameter: 1 mm
  mesh_size: 100 um
  layers:
    - {name: cathode, material: cathode_S, thickness: 60 um}
    - {name: separator, material: Li6PS5Cl, thickness: 200 um}
materials:
  cathode_S: {base: Li6PS5Cl, youngs_modulus: 12 GPa, active_fraction: 0.3}
lithiation:
  protocol: [{step: discharge, rate: 1 C}, {step: rest, duration: 1 h}, {step: charge, rate: 1 C}]
fixture: {preload: 20 MPa, preload_steps: 4, type: spring, frame_stiffness: 1e7 N/m}
outputs: {fields: false, figures: false}
solver: {max_xi_step: 0.05}
"""
INITIAL = Target(0.0, 0.0, "preload", 0.0, 0.0, 0, "initial")


def schedule():
    case = load_case_text(CASE)
    return build_schedule(case.lithiation, preload_steps=4, max_xi_step=0.05)


def test_fraction_of_the_schedule():
    targets = schedule()
    fraction = ScheduleFraction(targets, INITIAL)
    count = len(targets)  # 4 preload + 20 discharge + 1 rest + 20 charge
    assert count == 45
    assert fraction(INITIAL) == 0.0
    for k, target in enumerate(targets):
        assert fraction(target) == pytest.approx((k + 1) / count)
    # a cut-back midpoint is half-way between its neighbours, in the preload and while cycling
    half_preload = replace(targets[1], load_fraction=0.5 * (targets[0].load_fraction + targets[1].load_fraction))
    assert fraction(half_preload) == pytest.approx(1.5 / count)
    first = targets[4]
    assert fraction(replace(first, time=0.5 * first.time)) == pytest.approx(4.5 / count)
    rest = targets[24]
    assert rest.label == "cycle 1 rest"
    assert fraction(replace(rest, time=rest.time - 0.25 * (rest.time - targets[23].time))) == pytest.approx(24.75 / count)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def feed(display, targets):
    for k, target in enumerate(targets):
        row = {"step [-]": k + 1, "time [h]": target.time / 3600, "capacity [mAh/g_S]": 1672.0 * target.xi}
        display.step(row, target, newton=3)
    display.close()


def test_plain_lines_at_a_moderate_rate_when_not_a_terminal():
    stream = io.StringIO()
    display = ProgressDisplay(schedule(), INITIAL, enabled=True, stream=stream, fraction_every=0.1, seconds_every=1e9)
    display.message("start")
    feed(display, schedule())
    lines = stream.getvalue().splitlines()
    assert lines[0] == "start"
    steps = lines[1:]
    assert 10 <= len(steps) <= 12  # the first, one per tenth of the schedule, the last; not 45
    pattern = re.compile(r"\[\s*[\d.]+%\] step \d+  t = [\d.]+ h  Q = \d+ mAh/g_S  newton 3  ETA \d+:\d\d:\d\d  \(.+\)")
    for line in steps:
        assert pattern.fullmatch(line), line
    assert steps[-1].startswith("[100.0%] step 45") and "ETA 0:00:00" in steps[-1] and "cycle 1 charge" in steps[-1]


def test_bar_on_a_terminal():
    stream = Terminal()
    display = ProgressDisplay(schedule(), INITIAL, enabled=True, stream=stream)
    display.message("a warning")
    feed(display, schedule())
    text = stream.getvalue()
    assert "a warning" in text and "━" in text  # the bar
    final = text.rsplit("\r", 1)[-1]
    assert "100%" in final and "step 45" in final and "ETA 0:00:00" in final


def test_estimate_scales_the_elapsed_time():
    display = ProgressDisplay(schedule(), INITIAL, enabled=True, stream=io.StringIO())
    display._start = 100.0
    assert display.estimate(0.25, now=110.0) == pytest.approx(30.0)
    assert display.estimate(0.0, now=110.0) is None


def test_quiet_prints_nothing():
    stream = Terminal()
    display = ProgressDisplay(schedule(), INITIAL, enabled=False, stream=stream)
    display.message("start")
    feed(display, schedule())
    assert stream.getvalue() == ""


def test_run_reports_progress_from_rank_0(mpi_tmp_path, capsys):
    run_case(load_case_text(CASE), mpi_tmp_path / "out", progress=True)
    out = capsys.readouterr().out
    if MPI.COMM_WORLD.rank > 0:
        assert out == ""
        return
    steps = [line for line in out.splitlines() if line.startswith("[")]
    assert 10 <= len(steps) <= 12 and steps[-1].startswith("[100.0%] step 45")  # step 0: the initial state
    assert all(" t = " in line and " Q = " in line and " ETA " in line and "newton" in line for line in steps)
    assert out.splitlines()[0].startswith("progress_stack: axisymmetric")
    assert out.splitlines()[-1].startswith("completed in")
    log = (mpi_tmp_path / "out" / "run.log").read_text()
    assert sum(line.startswith("step ") for line in log.splitlines()) == 46  # every step, however sparse the terminal
