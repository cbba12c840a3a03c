"""``chemomech slurm``: check the options and the case, then write the job script of one run.

Exit codes: 0 script written; 2 an invalid option or case (nothing written).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from chemomech.case import CaseError, load_case
from chemomech.jobs.run_script import write_run_script

TIME_LIMIT = re.compile(r"\d+(-\d+)?(:\d\d){0,2}")  # SLURM: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS
HOW = {
    "host": "srun starts this installation",
    "hybrid": "srun starts one container per rank (host MPI, hybrid model)",
    "image": "mpiexec inside the container",
}


def _problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the options, or None."""
    if args.mpi is not None and args.container is None:
        return "--mpi is for --container runs (without a container srun starts this installation)"
    if args.container is not None and not args.container.strip():
        return "--container expects an image (a .sif file or docker://...)"
    if args.mpi == "image" and args.nodes > 1:
        return f"--mpi image runs MPI inside one container on one node; got --nodes {args.nodes} (use --mpi hybrid)"
    if not TIME_LIMIT.fullmatch(args.time):
        return f"--time expects a SLURM time limit (HH:MM:SS, D-HH:MM:SS or minutes), got {args.time!r}"
    return None


def slurm(args: argparse.Namespace) -> int:
    """Run ``chemomech slurm`` with the parsed ``args``; return the exit code."""
    problem = _problem(args)
    if problem is not None:
        print(f"chemomech slurm: {problem}", file=sys.stderr)
        return 2
    try:
        case = load_case(args.case, args.set)
    except CaseError as err:
        print(err, file=sys.stderr)
        return 2
    mode = "host" if args.container is None else args.mpi or "hybrid"
    outdir = args.output if args.output is not None else Path("results") / case.name
    script = write_run_script(
        args.script if args.script is not None else outdir / "job.slurm",
        args.case,
        args.set,
        outdir,
        args.nodes,
        args.ranks_per_node,
        mode,
        args.container,
        args.time,
        args.partition,
        args.account,
        args.mesh,
    )
    print(f"{script}: {args.nodes} node(s) x {args.ranks_per_node} MPI rank(s), {HOW[mode]}")
    print(f"submit: sbatch {script}")
    if case.outputs.checkpoint_every == 0:
        print("note: the case writes no checkpoints (outputs.checkpoint_every: 0): a requeued job starts afresh")
    return 0
