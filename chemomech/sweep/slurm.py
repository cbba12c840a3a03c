"""A SLURM array job for a sweep: ``SWEEP_OUT/sweep.slurm``, one array task per run.

Task i reads row i of ``runs.tsv`` (run name and ``--set`` settings), gives
the DOLFINx/FFCx form compiler a private cache (``XDG_CACHE_HOME`` under
``$TMPDIR``, so that tasks compiling at once do not contend for one cache
on a shared file system) and starts ``srun --mpi=pmi2 PYTHON -m chemomech run`` on
``--ntasks`` MPI ranks, its output in ``runs/NAME/console.log`` and its exit
code in ``runs/NAME/exit_code``, as a local run of the sweep leaves them.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from chemomech.jobs.sbatch import SRUN, form_cache, header, job_name
from chemomech.sweep.record import RUNS_TSV

_TASK = "${SLURM_ARRAY_JOB_ID:-0}_$SLURM_ARRAY_TASK_ID"
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

{cache}
status=0
{srun} "$python" -m chemomech run "$case" "${{settings[@]}}" -o "$run" --quiet > "$run/console.log" 2>&1 || status=$?
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
    lines = header(
        [
            f"chemomech parameter sweep of {record['case']}: {count} runs, one array task each.",
            f"Submit: sbatch {shlex.quote(str(outdir / 'sweep.slurm'))}",
            f"Then:   chemomech sweep --collect {shlex.quote(str(outdir))}",
        ],
        [f"job-name={job_name(Path(record['case']).stem)}-sweep", f"array=0-{count - 1}", f"ntasks={ranks}"],
        time_limit,
        f"{outdir}/slurm/%A_%a.out",
        partition,
        account,
    )
    body = _BODY.format(
        sweep=shlex.quote(str(outdir)),
        case=shlex.quote(str(outdir / record["case_copy"])),
        python=shlex.quote(sys.executable),
        tsv=RUNS_TSV,
        cache=form_cache(f'"${{TMPDIR:-/tmp}}/chemomech-cache-{_TASK}"', "for this task"),
        srun=SRUN,
    )
    path = outdir / "sweep.slurm"
    path.write_text("\n".join(lines) + "\n" + body)
    return path
