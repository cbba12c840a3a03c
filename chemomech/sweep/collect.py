"""The comparison of a sweep: ``summary.csv`` and the figures, from the runs' files.

``summary.csv`` has one row per run: the run name, the parameter values as
given, the status and exit code, the converged steps and wall time from
the run's ``summary.json``, and key outputs from its ``series.csv`` over the
cycling, i.e. from the last row at t = 0 (the preloaded state) on:

* ``stack_pressure_final|max|min [MPa]``: load-cell pressure at the end, highest, lowest;
* ``thickness_change_max [um]``: largest dilatometer thickness change;
* ``<region>_sigma1_max [MPa]``: largest max principal stress in each region.

Outputs a run does not have (no series yet, no load cell on an inclusion)
are left empty.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from chemomech.output.series import read_series
from chemomech.sweep.figures import SIGMA1, write_sweep_figures
from chemomech.sweep.params import short_labels
from chemomech.sweep.record import run_dir, update_status


def _cycling(series: dict[str, list[float]]) -> dict[str, list[float]]:
    """The rows from the last one at t = 0 (the preloaded state) on."""
    start = max((index for index, time in enumerate(series["time [s]"]) if time <= 0.0), default=0)
    return {column: values[start:] for column, values in series.items()}


def key_outputs(series: dict[str, list[float]]) -> dict[str, float]:
    """The key outputs of one run's series (see the module docstring)."""
    if not series:
        return {}
    cycling = _cycling(series)
    outputs = {}
    if "stack_pressure [MPa]" in cycling:
        pressure = cycling["stack_pressure [MPa]"]
        outputs |= {
            "stack_pressure_final [MPa]": pressure[-1],
            "stack_pressure_max [MPa]": max(pressure),
            "stack_pressure_min [MPa]": min(pressure),
        }
    if "thickness_change [um]" in cycling:
        outputs["thickness_change_max [um]"] = max(cycling["thickness_change [um]"])
    for column, values in cycling.items():
        if column.endswith(SIGMA1):
            outputs[column] = max(values)
    return outputs


def _series(rundir: Path) -> dict[str, list[float]]:
    path = rundir / "series.csv"
    return read_series(path) if path.is_file() else {}


def _run_row(rundir: Path, run: dict, series: dict) -> dict:
    row = {"run": run["name"], **run["values"], "status": run["status"], "exit_code [-]": run["exit_code"]}
    if (rundir / "summary.json").is_file():
        summary = json.loads((rundir / "summary.json").read_text())
        row |= {"steps [-]": summary.get("steps"), "wall_time [s]": summary.get("wall_time_s")}
    return row | key_outputs(series)


def _format(value) -> str:
    if value is None:
        return ""
    return f"{value:.12g}" if isinstance(value, float) else str(value)


def write_summary(path: Path, rows: list[dict], first: list[str]) -> None:
    """Write ``rows`` as CSV: the ``first`` columns, then every other column in order of appearance."""
    columns = list(first)
    for row in rows:
        columns += [column for column in row if column not in columns]
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows({key: _format(value) for key, value in row.items()} for row in rows)


def collect(outdir: Path, record: dict) -> list[Path]:
    """Update the status of every run, write ``summary.csv`` and the figures; return the files written."""
    outdir = Path(outdir)
    update_status(outdir, record)
    keys = list(record["parameters"])
    labels = short_labels(keys)
    rows, curves = [], []
    for run in record["runs"]:
        rundir = run_dir(outdir, run["name"])
        series = _series(rundir)
        rows.append(_run_row(rundir, run, series))
        if series:
            curves.append((", ".join(f"{labels[key]}={value}" for key, value in run["values"].items()), series))
    fixed = ["run", *keys, "status", "exit_code [-]", "steps [-]", "wall_time [s]"]
    write_summary(outdir / "summary.csv", rows, fixed)
    title = f"{Path(record['case']).stem}: sweep of {', '.join(keys)}"
    return [outdir / "summary.csv", *write_sweep_figures(outdir / "figures", curves, title)]
