"""The benchmark suite (benchmarks/, issue 9) runs end to end at its smallest sizes, on 1 and 2 ranks.

The benchmarks are not timed here; these runs check that each script still
produces every figure its tables report. ``instrumented_run.py`` wraps
chemomech's functions from outside and reports a figure as null when its
target is gone, so a renamed function would otherwise leave a blank column
unnoticed. Checked:

* ``inclusion_compare.py --sizes tiny`` (about 3.6k dofs): the reference
  script, chemomech on the ``.msh`` and on the pre-meshed domain all
  complete on the same dofs and agree on the particle's mean hydrostatic
  stress to 1e-9 (the same discrete problem); the ratio, the efficiency,
  the memory and the PETSc events and mesh phases of the instrumented runs
  are filled;
* ``stack_scaling.py --sizes tiny``: the assembly, GAMG set-up and CG
  parts of a Newton step and both efficiencies;
* ``rve_scaling.py --sizes 10``: the meshing parts (packing, OCC, gmsh,
  distribution, metrics) and the solve figures.
"""

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

pytestmark = pytest.mark.serial  # each runs its own MPI jobs


def run_benchmark(script: str, out: Path, *arguments: str) -> list[dict]:
    """Run ``benchmarks/script`` into ``out`` without its warm-up; the rows of its CSV."""
    command = [sys.executable, str(BENCHMARKS / script), *arguments, "--no-warmup", "--out", str(out)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(out / script.replace(".py", ".csv"), newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert (out / script.replace(".py", ".png")).stat().st_size > 0
    meta = json.loads((out / script.replace(".py", ".meta.json")).read_text())
    assert meta["dolfinx_petsc"] and meta["cpus"] >= 1
    return rows


def filled(row: dict, columns: list[str]) -> None:
    """Each of ``columns`` holds a finite positive number."""
    for column in columns:
        value = float(row[column]) if row[column] not in ("", None) else math.nan
        assert math.isfinite(value) and value > 0, (column, row)


def test_inclusion_compare_runs_all_tools(tmp_path):
    rows = run_benchmark("inclusion_compare.py", tmp_path, "--sizes", "tiny")
    assert [(row["ranks"], row["tool"]) for row in rows] == [
        (str(n), tool) for n in (1, 2) for tool in ("reference", "chemomech", "chemomech_premeshed")
    ]
    assert all(row["status"] == "completed" for row in rows)
    assert len({row["dofs"] for row in rows}) == 1
    for row in rows:
        filled(row, ["total_s", "solve_s", "newton", "s_per_newton", "krylov_per_newton", "kb_per_dof"])
        if row["ranks"] == "2":
            filled(row, ["eff"])
        if row["tool"] != "reference":
            filled(row, ["ratio"])
            assert float(row["sigma_h_diff"]) < 1e-9
    instrumentation = json.loads((tmp_path / "inclusion" / "runs" / "tiny_np2_0" / "instrumentation.json").read_text())
    for event in ("SNESSolve", "SNESJacobianEval", "KSPSolve", "PCSetUp", "MatMult"):
        assert (instrumentation["petsc"].get(event, {}).get("time_s") or 0) > 0, event
    for phase in ("distribute", "analyse"):
        assert (instrumentation["mesh_phases_s"].get(phase) or 0) > 0, phase
    assert len(instrumentation["rss_peak_kb"]) == 2 and min(instrumentation["rss_peak_kb"]) > 0


def test_stack_scaling_reports_the_parts_of_a_newton_step(tmp_path):
    rows = run_benchmark("stack_scaling.py", tmp_path, "--sizes", "tiny")
    assert [row["ranks"] for row in rows] == ["1", "2"]
    for row in rows:
        assert row["status"] == "completed"
        filled(row, ["dofs", "wall_s", "mesh_s", "s_per_newton", "krylov_per_newton", "jac_s_per_newton",
                     "pcsetup_s_per_newton", "ksp_s_per_newton", "rss_kb_per_dof"])
    filled(rows[1], ["eff_wall", "eff_newton"])


def test_rve_scaling_reports_the_meshing_parts(tmp_path):
    rows = run_benchmark("rve_scaling.py", tmp_path, "--sizes", "10")
    assert [row["ranks"] for row in rows] == ["1", "2"]
    for row in rows:
        assert row["status"] == "completed"
        filled(row, ["dofs", "cells", "packing_s", "draw_s", "gmsh_s", "distribute_s", "analyse_s", "mesh_s",
                     "s_per_newton", "krylov_per_newton", "rss_kb_per_dof"])
    filled(rows[1], ["eff_wall", "eff_newton", "eff_mesh"])
