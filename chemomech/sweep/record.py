"""A sweep on disk, and the status of its runs read from their files.

::

    SWEEP_OUT/
      sweep.json    the case, the fixed --set settings, the parameters, how the
                    runs are launched, and per run: index, name, parameter
                    values, --set settings, status and exit code
      runs.tsv      per run: index, name and its --set settings, tab-separated
                    (read by the SLURM script)
      case/FILE     the case file when the sweep was made; every run reads this copy
      runs/NAME/    the output directory of each run, with console.log (its
                    terminal output) and exit_code (written when it ends)
      slurm/        SLURM's log of every array task (--slurm only)
      summary.csv, figures/   the comparison (chemomech.sweep.collect)

The status of a run: ``failed`` if its exit code is not 0, else the status
in its ``summary.json`` (``completed`` or ``failed``), else ``incomplete``
(running, or killed) if it has begun its ``series.csv``, else ``pending``.
"""

from __future__ import annotations

import datetime
import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from chemomech.errors import SweepError
from chemomech.output.provenance import write_json_atomic
from chemomech.sweep.params import Parameter, Variant

SWEEP_JSON = "sweep.json"
RUNS_TSV = "runs.tsv"


def run_dir(outdir: Path, name: str) -> Path:
    """The output directory of run ``name``."""
    return Path(outdir) / "runs" / name


def run_status(rundir: Path) -> tuple[str, int | None]:
    """The status of the run in ``rundir`` and its exit code (None until it ends)."""
    code = None
    if (rundir / "exit_code").is_file():
        text = (rundir / "exit_code").read_text().strip()
        code = int(text) if text.lstrip("-").isdigit() else None
    if code not in (None, 0):
        return "failed", code
    if (rundir / "summary.json").is_file():
        return json.loads((rundir / "summary.json").read_text()).get("status", "incomplete"), code
    if (rundir / "series.csv").is_file():
        return "incomplete", code
    return "pending", code


def create_sweep(
    outdir: Path,
    case_path: Path,
    settings: Sequence[str],
    parameters: Sequence[Parameter],
    runs: Sequence[Variant],
    launch: dict,
) -> dict:
    """Make the sweep directory (which must not hold a sweep yet); return the record."""
    outdir = Path(outdir)
    if (outdir / SWEEP_JSON).exists():
        raise SweepError(f"{outdir} already holds a sweep ({SWEEP_JSON}); choose another -o or remove it")
    copy = outdir / "case" / Path(case_path).name  # same file name: the case name defaults to it
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(case_path, copy)
    (outdir / "runs").mkdir(exist_ok=True)
    record = {
        "case": str(case_path),
        "case_copy": str(copy.relative_to(outdir)),
        "settings": list(settings),
        "parameters": {parameter.key: list(parameter.values) for parameter in parameters},
        "launch": launch,
        "command": " ".join(sys.argv),
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "runs": [
            {
                "index": run.index,
                "name": run.name,
                "values": run.values,
                "settings": [*settings, *run.settings],
                "status": "pending",
                "exit_code": None,
            }
            for run in runs
        ],
    }
    with open(outdir / RUNS_TSV, "w") as table:
        table.write("index\trun\tsettings\n")
        for run in record["runs"]:
            table.write("\t".join([str(run["index"]), run["name"], *run["settings"]]) + "\n")
    write_json_atomic(outdir / SWEEP_JSON, record)
    return record


def read_sweep(outdir: Path) -> dict:
    """The record of the sweep in ``outdir``."""
    path = Path(outdir) / SWEEP_JSON
    if not path.is_file():
        raise SweepError(f"{outdir}: no {SWEEP_JSON} here; expected the output directory of chemomech sweep")
    return json.loads(path.read_text())


def update_status(outdir: Path, record: dict) -> dict:
    """Read the status of every run from its files into ``record`` and save it."""
    for run in record["runs"]:
        run["status"], run["exit_code"] = run_status(run_dir(outdir, run["name"]))
    write_json_atomic(Path(outdir) / SWEEP_JSON, record)
    return record
