"""Figures and the HTML report are written with every run and redrawn by ``chemomech plot``."""

import json
import shutil
import subprocess

import matplotlib.image
import pytest

from chemomech.case import load_case_text
from chemomech.cli import main
from chemomech.dolfinx_compat import MPI
from chemomech.output.series import read_series
from chemomech.solve.run import run_case

CASE = """
name: figure_stack
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
  protocol: [{step: discharge, rate: 1 C}, {step: charge, rate: 1 C}]
fixture: {preload: 20 MPa, type: spring, frame_stiffness: 1e7 N/m}
outputs: {fields: false}
solver: {max_xi_step: 0.25}
"""
# figure -> a label it must carry (matplotlib keeps text as comments in SVG)
LABELS = {
    "signals_vs_time": "stack pressure",
    "signals_vs_capacity": "capacity",
    "stress_vs_time": "sigma1 max",
    "risk_vs_time": "cathode/separator",  # the opening risk's legend
}


def assert_real_figures(directory):
    for name, label in LABELS.items():
        image = matplotlib.image.imread(directory / f"{name}.png")
        assert image.shape[0] > 300 and image.shape[1] > 300
        assert image[..., :3].std() > 0.05, f"{name}.png is blank"
        svg = (directory / f"{name}.svg").read_text()
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg
        assert label in svg, f"{name}.svg lacks {label!r}"


def assert_report_shows_the_run(outdir):
    """The report embeds every figure and carries the numbers of summary.json and the series."""
    page = (outdir / "report.html").read_text()
    summary = json.loads((outdir / "summary.json").read_text())
    assert page.count("data:image/png;base64,") == len(LABELS)
    assert f"<h1>{summary['case']}</h1>" in page
    assert f"<td>MPI ranks</td><td>{summary['ranks']}</td>" in page
    counts = f"{summary['steps']} / {summary['newton_iterations']} / {summary['krylov_iterations']}"
    assert counts in page
    peak = max(read_series(outdir / "series.csv")["stack_pressure [MPa]"])
    assert f'<td>peak stack pressure</td><td class="num">{peak:.6g}</td><td>MPa</td>' in page
    risk = summary["crack_risk"]["extremes"]["separator_risk_ratio_max [-]"]
    assert f'<td>largest risk ratio σ1/σ_t, separator</td><td class="num">{risk:.6g}</td><td>-</td>' in page
    assert summary["versions"]["petsc"] in page
    assert "No warnings." in page


def test_run_writes_figures_and_report(mpi_tmp_path):
    outdir = mpi_tmp_path / "out"
    run_case(load_case_text(CASE), outdir)
    if MPI.COMM_WORLD.rank == 0:
        assert_real_figures(outdir / "figures")
        assert "figure_stack" in (outdir / "figures" / "stress_vs_time.svg").read_text()
        assert_report_shows_the_run(outdir)


@pytest.mark.serial
def test_plot_redraws_from_saved_results(tmp_path, capsys):
    outdir = tmp_path / "out"
    run_case(load_case_text(CASE.replace("fields: false", "fields: false, figures: false")), outdir)
    assert not (outdir / "figures").exists()
    assert not (outdir / "report.html").exists()
    assert main(["plot", str(outdir)]) == 0
    assert_real_figures(outdir / "figures")
    assert_report_shows_the_run(outdir)
    assert main(["plot", str(tmp_path / "nothing")]) == 2
    assert "no series.csv" in capsys.readouterr().err


CHROMIUM = shutil.which("chromium")
HEADLESS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.mark.serial
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
def test_report_renders_in_headless_chromium(tmp_path):
    """A browser with no server shows the numbers and draws the embedded figures."""
    outdir = tmp_path / "out"
    run_case(load_case_text(CASE), outdir)
    url = (outdir / "report.html").resolve().as_uri()
    browser = [CHROMIUM, *HEADLESS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*browser, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    summary = json.loads((outdir / "summary.json").read_text())
    assert "peak stack pressure" in dom and summary["case"] in dom
    assert f"{summary['steps']} / {summary['newton_iterations']} / {summary['krylov_iterations']}" in dom
    shot = tmp_path / "report.png"
    subprocess.run(
        [*browser, "--window-size=1000,3000", f"--screenshot={shot}", url], capture_output=True, timeout=120
    )
    image = matplotlib.image.imread(shot)
    figures = image[1000:, :, :3]  # below the tables: the embedded plots
    assert (figures < 0.5).mean() > 0.01, "no figure drawn in the rendered report"  # 0.003 without figures
