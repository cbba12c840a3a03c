"""A SLURM array job for a sweep: ``SWEEP_OUT/sweep.slurm``, one array task per run.

Task i reads row i of ``runs.tsv`` (run name and ``--set`` settings), gives
the DOLFINx/FFCx form compiler a private cache (``XDG_CACHE_HOME`` under
``$TMPDIR``, so that tasks compiling at once do not contend for one cache
on a shared file system) and starts ``srun PYTHON -m chemomech run`` on
``--ntasks`` MPI ranks, its output in ``runs/NAME/console.log`` and its exit
code in ``runs/NAME/exit_code``, as a local run of the sweep leaves them.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

from chemomech.sweep.record import RUNS_TSV

_BODY = r"""
set -euo pipefail
sweep={sweep}
case={case}
python={python}

# This task's run: row SLURM_ARRAY_TASK_ID of runs.tsv (index, name, --set settings).
row=$(awk -F '\t' -v i="$SLURM_ARRAY_TASK_ID" 'NR > 1 && $1 == i' "$sweep/{tsv}")
IFS=$'\t' read -r -a fields <<< "$row"
name=${{fields[1]}}
settings=()
for setting in "${{fields[@]:2}}"; do settings+=(--set "$setting"); done
run="$sweep/runs/$name"
mkdir -p "$run"

# A private form-compiler cache for this task.
export XDG_CACHE_HOME="${{TMPDIR:-/tmp}}/chemomech-cache-${{SLURM_ARRAY_JOB_ID:-0}}_$SLURM_ARRAY_TASK_ID"
mkdir -p "$XDG_CACHE_HOME"

status=0
srun "$python" -m chemomech run "$case" "${{settings[@]}}" -o "$run" --quiet > "$run/console.log" 2>&1 || status=$?
echo "$status" > "$run/exit_code"
rm -rf "$XDG_CACHE_HOME"
exit "$status"
"""


def write_slurm_script(
    outdir: Path,
    record: dict,
    ranks: int,
    time_limit: str,
    partition: str | None = None,
    account: str | None = None,
) -> Path:
    """Write ``outdir/sweep.slurm`` for the sweep ``record``; return its path."""
    outdir = Path(outdir).resolve()
    (outdir / "slurm").mkdir(exist_ok=True)  # SLURM does not create the directory of --output
    count = len(record["runs"])
    job_name = re.sub(r"[^A-Za-z0-9_.-]", "-", Path(record["case"]).stem) + "-sweep"
    header = [
        "#!/bin/bash",
        f"# chemomech parameter sweep of {record['case']}: {count} runs, one array task each.",
        f"# Submit: sbatch {shlex.quote(str(outdir / 'sweep.slurm'))}",
        f"# Then:   chemomech sweep --collect {shlex.quote(str(outdir))}",
        f"#SBATCH --job-name={job_name}",
        f"#SBATCH --array=0-{count - 1}",
        f"#SBATCH --ntasks={ranks}",
        f"#SBATCH --time={time_limit}",
        f"#SBATCH --output={outdir}/slurm/%A_%a.out",
    ]
    if partition:
        header.append(f"#SBATCH --partition={partition}")
    if account:
        header.append(f"#SBATCH --account={account}")
    body = _BODY.format(
        sweep=shlex.quote(str(outdir)),
        case=shlex.quote(str(outdir / record["case_copy"])),
        python=shlex.quote(sys.executable),
        tsv=RUNS_TSV,
    )
    path = outdir / "sweep.slurm"
    path.write_text("\n".join(header) + "\n" + body)
    return path
