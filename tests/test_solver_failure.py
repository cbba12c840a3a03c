"""A run whose Newton solver cannot converge cuts back, then fails cleanly.

The failure is raised on every rank (a SolverFailure), every series row of
the converged steps is kept, and summary.json records the failure.
"""

import json

import pytest

from chemomech.case import load_case_text
from chemomech.errors import SolverFailure
from chemomech.output.series import read_series
from chemomech.solve.run import run_case

CASE = """
name: starved_newton
geometry:
  type: inclusion
  dimension: axisymmetric
  inclusion_radius: 5 um
  outer_radius: 15 um
  inclusion_material: sulfur
  matrix_material: Li6PS5Cl
  mesh_size: 2 um
lithiation:
  protocol: [{step: discharge, rate: 1 C, until_xi: 1.0}]
outputs: {fields: true}
solver: {max_xi_step: 0.5, max_newton_iterations: 1, max_cutbacks: 2}
"""


def test_divergence_cuts_back_then_fails_keeping_outputs(mpi_tmp_path):
    outdir = mpi_tmp_path / "out"
    with pytest.raises(SolverFailure, match="after 2 cut-backs"):
        run_case(load_case_text(CASE), outdir)
    series = read_series(outdir / "series.csv")
    assert series["step [-]"] == [0.0]  # the initial state; no step converged
    summary = json.loads((outdir / "summary.json").read_text())
    assert summary["status"] == "failed"
    assert summary["cutbacks"] == 2
    assert "did not converge" in summary["error"]
    assert (outdir / "fields.xdmf").is_file()
    log = (outdir / "run.log").read_text()
    assert log.count("WARNING cut-back") == 2 and log.rstrip().endswith("2 cut-backs")


def test_cutback_recovers_from_a_step_too_large(mpi_tmp_path):
    text = CASE.replace("max_newton_iterations: 1, max_cutbacks: 2", "max_newton_iterations: 3, max_cutbacks: 6")
    text = text.replace("max_xi_step: 0.5", "max_xi_step: 1.0")
    summary = run_case(load_case_text(text), mpi_tmp_path / "out")
    assert summary["status"] == "completed"
    assert summary["cutbacks"] >= 1
    assert len(summary["warnings"]) == summary["cutbacks"]
    log = (mpi_tmp_path / "out" / "run.log").read_text()
    assert log.count("WARNING cut-back") == summary["cutbacks"]
    assert "residual norms [N]" in log
    assert "cut back the step" in (mpi_tmp_path / "out" / "report.html").read_text()
    series = read_series(mpi_tmp_path / "out" / "series.csv")
    assert series["lithiation [-]"][-1] == pytest.approx(1.0)
