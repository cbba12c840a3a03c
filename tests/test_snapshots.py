"""Field snapshots on the deformed mesh: chosen steps, real pictures, redrawn by ``chemomech plot``.

Rendering is not optional here: where no off-screen OpenGL (EGL + Mesa or
OSMesa) is installed these tests fail, they do not skip (.ci/run installs it).
"""

import json
import stat

import matplotlib.image
import numpy as np
import pytest

from chemomech.case import load_case_text
from chemomech.cli import main
from chemomech.dolfinx_compat import MPI
from chemomech.output.fieldfile import read_field_file
from chemomech.output.snapshots import select_steps
from chemomech.solve.run import run_case

CASE = """
name: snapshot_stack
geometry:
  type: stack
  dimension: axisymmetric
  diameter: 1 mm
  mesh_size: 100 um
  layers:
    - {name: cathode, material: cathode_S, thickness: 100 um}
    - {name: separator, material: Li6PS5Cl, thickness: 200 um}
materials:
  cathode_S: {base: Li6PS5Cl, youngs_modulus: 12 GPa, active_fraction: 0.3}
lithiation:
  protocol: [{step: discharge, rate: 1 C}, {step: charge, rate: 1 C}]
fixture: {preload: 20 MPa, type: spring, frame_stiffness: 1e7 N/m}
solver: {max_xi_step: 0.25}
"""
# steps: 0 initial, 1 preload, 2-5 discharge, 6-9 charge; the default snapshots
# (preload, first_cycle, end) are the end of the preload, of the discharge and of the charge
DEFAULT_STEPS = [1, 5, 9]


def colours(path) -> np.ndarray:
    image = matplotlib.image.imread(path)[..., :3]
    assert image.shape[0] >= 600 and image.shape[1] >= 1000
    return image


def assert_real_picture(path) -> np.ndarray:
    """Not blank: far from a uniform image and many distinct colours (colour maps, not flat fills)."""
    image = colours(path)
    assert image.std() > 0.1, f"{path.name} is nearly uniform"
    rgb = (image * 255).astype(np.uint32).reshape(-1, 3)
    distinct = np.unique(rgb[:, 0] << 16 | rgb[:, 1] << 8 | rgb[:, 2])
    assert len(distinct) > 100, f"{path.name} has only {len(distinct)} colours"
    return image


def snapshot_files(outdir) -> list:
    return sorted((outdir / "figures").glob("fields_step*.png"))


def test_select_steps():
    series = {
        "step [-]": [0, 1, 2, 3, 4, 5, 6],
        "time [s]": [0.0, 0.0, 0.0, 1800.0, 3600.0, 5400.0, 7200.0],
        "cycle [-]": [0, 0, 0, 1, 1, 2, 2],
    }
    protocol = [
        {"label": "cycle 1 discharge", "cycle": 1, "end_time [s]": 3600.0},
        {"label": "cycle 2 discharge", "cycle": 2, "end_time [s]": 7200.0},
        {"label": "cycle 3 discharge", "cycle": 3, "end_time [s]": 10800.0},  # not reached
    ]
    every = list(range(7))
    assert select_steps(["preload", "first_cycle", "end"], series, protocol, every) == [2, 4, 6]
    assert select_steps(["all_cycles"], series, protocol, every) == [4, 6]
    assert select_steps([5400.0, 3, 0.0, 3], series, protocol, every) == [5, 3, 2]  # t = 0: after the preload
    assert select_steps(["preload", "end"], series, protocol, [0, 3, 6]) == [3, 6]  # nearest written
    no_preload = {key: values[2:] for key, values in series.items()} | {"step [-]": [0, 1, 2, 3, 4]}
    assert select_steps(["preload"], no_preload, protocol, every) == []
    assert select_steps(["end"], series, protocol, []) == []


def test_run_draws_snapshots_on_the_deformed_mesh(mpi_tmp_path):
    outdir = mpi_tmp_path / "out"
    summary = run_case(load_case_text(CASE), outdir)
    if MPI.COMM_WORLD.rank != 0:
        return
    assert summary["status"] == "completed" and summary["warnings"] == []
    files = snapshot_files(outdir)
    assert [f.name for f in files] == [f"fields_step{s:04d}.png" for s in DEFAULT_STEPS]
    preload, discharged, charged = (assert_real_picture(f) for f in files)
    # the lithiation panel turns from ξ = 0 to 1 in the cathode at the end of the discharge, and back
    assert np.abs(discharged - preload).mean() > 5 * np.abs(charged - preload).mean()
    # the field file holds the displacement the pictures are warped by, in the reference geometry's shape
    fields = read_field_file(outdir / "fields.xdmf")
    displacement, centre = fields.read("displacement", 5)
    assert centre == "Node" and displacement.shape[0] == fields.mesh(5).points.shape[0]
    assert np.abs(displacement).max() > 1e-7  # the cathode swelled by micrometres
    page = (outdir / "report.html").read_text()
    assert "Field snapshots" in page
    assert page.count("data:image/png;base64,") == 4 + len(DEFAULT_STEPS)  # signals (2), stress, risk


@pytest.mark.serial
def test_plot_redraws_snapshots_at_chosen_times(tmp_path, capsys):
    outdir = tmp_path / "out"
    text = CASE + 'outputs: {figures: false, snapshots: [3, "1.5 h", end]}\n'
    run_case(load_case_text(text), outdir)
    assert snapshot_files(outdir) == []
    assert main(["plot", str(outdir)]) == 0
    assert [f.name for f in snapshot_files(outdir)] == ["fields_step0003.png", "fields_step0007.png", "fields_step0009.png"]
    printed = capsys.readouterr().out.splitlines()
    for path in snapshot_files(outdir):
        assert_real_picture(path)
        assert str(path) in printed
    assert "Field snapshots" in (outdir / "report.html").read_text()


def fake_interpreter(tmp_path, body: str) -> str:
    script = tmp_path / "fake-python"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


@pytest.mark.serial
@pytest.mark.parametrize(
    ("body", "expected"),
    [("kill -SEGV $$", "the renderer crashed (SIGSEGV)"), ("echo 'no OpenGL here' >&2; exit 1", "no OpenGL here")],
)
def test_a_renderer_failure_is_a_warning_not_a_lost_run(tmp_path, monkeypatch, body, expected):
    """The pictures are drawn in a child process: a crash there leaves a complete run with a warning."""
    monkeypatch.setattr("sys.executable", fake_interpreter(tmp_path, body))
    outdir = tmp_path / "out"
    summary = run_case(load_case_text(CASE), outdir)
    assert summary["status"] == "completed"
    assert (outdir / "series.csv").is_file() and (outdir / "figures" / "stress_vs_time.png").is_file()
    assert snapshot_files(outdir) == []
    recorded = json.loads((outdir / "summary.json").read_text())["warnings"]
    assert len(recorded) == 1 and expected in recorded[0] and recorded[0].startswith("field snapshots not drawn")
    assert f"WARNING {recorded[0]}" in (outdir / "run.log").read_text()
    assert expected in (outdir / "report.html").read_text()
