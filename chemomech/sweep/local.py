"""Runs of a sweep on this machine: one ``chemomech run`` process (group) per run.

Each run is ``[mpiexec -n NP] PYTHON -m chemomech run CASE --set ... -o
runs/NAME --quiet`` with its terminal output in ``runs/NAME/console.log`` and
its exit code in ``runs/NAME/exit_code``; up to ``jobs`` runs at a time. A
failed run is recorded and the others go on.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from chemomech.errors import SweepError
from chemomech.output.provenance import write_json_atomic
from chemomech.sweep.record import SWEEP_JSON, run_dir, run_status


def find_mpiexec() -> str:
    """The mpiexec next to this Python (a virtual environment's MPI), else the one on PATH."""
    beside = Path(sys.executable).parent / "mpiexec"
    if beside.is_file():
        return str(beside)
    found = shutil.which("mpiexec")
    if found is None:
        raise SweepError("--np needs mpiexec, found neither next to this Python nor on PATH")
    return found


def run_command(case: Path, settings: list[str], outdir: Path, ranks: int, mpiexec: str | None) -> list[str]:
    """The command line of one run."""
    launcher = [mpiexec, "-n", str(ranks)] if ranks > 1 else []
    sets = [arg for setting in settings for arg in ("--set", setting)]
    return [*launcher, sys.executable, "-m", "chemomech", "run", str(case), *sets, "-o", str(outdir), "--quiet"]


def _run_one(command: list[str], rundir: Path) -> float:
    """Run ``command`` with its output in ``rundir``; return its wall time in seconds."""
    rundir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with open(rundir / "console.log", "w") as console:
        code = subprocess.run(command, stdout=console, stderr=subprocess.STDOUT, check=False).returncode
    (rundir / "exit_code").write_text(f"{code}\n")
    return time.perf_counter() - start


def run_local(outdir: Path, record: dict, jobs: int, ranks: int, mpiexec: str | None) -> None:
    """Run every run of the sweep in ``outdir``, printing a line as each ends.

    ``mpiexec`` launches runs of more than one rank. ``record`` (sweep.json)
    is updated and saved as each run ends.
    """
    case = Path(outdir) / record["case_copy"]
    runs = record["runs"]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {
            pool.submit(
                _run_one,
                run_command(case, run["settings"], run_dir(outdir, run["name"]), ranks, mpiexec),
                run_dir(outdir, run["name"]),
            ): run
            for run in runs
        }
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                run = futures[future]
                seconds = future.result()
                rundir = run_dir(outdir, run["name"])
                run["status"], run["exit_code"] = run_status(rundir)
                write_json_atomic(Path(outdir) / SWEEP_JSON, record)
                line = f"[{done}/{len(runs)}] {run['name']}: {run['status']} in {seconds:.1f} s"
                if run["status"] != "completed":
                    line += f" (exit code {run['exit_code']}; see {rundir / 'console.log'})"
                print(line, flush=True)
        except KeyboardInterrupt:  # the running runs got the signal too; start no more
            pool.shutdown(cancel_futures=True)
            raise
