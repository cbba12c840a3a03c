"""Figures are written with every run and redrawn by ``chemomech plot``."""

import matplotlib.image
import pytest

from chemomech.case import load_case_text
from chemomech.cli import main
from chemomech.dolfinx_compat import MPI
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
LABELS = {"signals_vs_time": "stack pressure", "signals_vs_capacity": "capacity", "stress_vs_time": "sigma1 max"}


def assert_real_figures(directory):
    for name, label in LABELS.items():
        image = matplotlib.image.imread(directory / f"{name}.png")
        assert image.shape[0] > 300 and image.shape[1] > 300
        assert image[..., :3].std() > 0.05, f"{name}.png is blank"
        svg = (directory / f"{name}.svg").read_text()
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg
        assert label in svg, f"{name}.svg lacks {label!r}"


def test_run_writes_figures(mpi_tmp_path):
    outdir = mpi_tmp_path / "out"
    run_case(load_case_text(CASE), outdir)
    if MPI.COMM_WORLD.rank == 0:
        assert_real_figures(outdir / "figures")
        assert "figure_stack" in (outdir / "figures" / "stress_vs_time.svg").read_text()


@pytest.mark.serial
def test_plot_redraws_from_saved_results(tmp_path, capsys):
    outdir = tmp_path / "out"
    run_case(load_case_text(CASE.replace("fields: false", "fields: false, figures: false")), outdir)
    assert not (outdir / "figures").exists()
    assert main(["plot", str(outdir)]) == 0
    assert_real_figures(outdir / "figures")
    assert main(["plot", str(tmp_path / "nothing")]) == 2
    assert "no series.csv" in capsys.readouterr().err
