"""``chemomech sweep``: plan, validate, run (or write a SLURM job) and compare.

Exit codes: 0 every run completed; 1 a run failed (or, for ``--collect``,
is not complete); 2 a malformed ``--param`` or option, or a run whose case
does not validate, before anything is run or written; 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from chemomech.errors import SweepError
from chemomech.sweep.collect import collect
from chemomech.sweep.local import find_mpiexec, run_local
from chemomech.sweep.params import parse_params, variants
from chemomech.sweep.record import create_sweep, read_sweep
from chemomech.sweep.slurm import write_slurm_script
from chemomech.sweep.validate import validate_variants


def _check_options(args: argparse.Namespace) -> None:
    if args.collect is not None:
        given = [name for name, value in (("CASE", args.case), ("--param", args.param), ("--set", args.set)) if value]
        if given:
            raise SweepError(f"--collect SWEEP_OUT takes no {', '.join(given)}")
        return
    if args.case is None:
        raise SweepError("expected CASE and --param KEY=V1,V2,... (or --collect SWEEP_OUT)")
    if args.slurm and args.jobs is not None:
        raise SweepError("--jobs is for local runs; SLURM schedules the array tasks itself")
    if not args.slurm and (args.partition or args.account or args.time):
        raise SweepError("--partition, --account and --time are for --slurm")


def _report(outdir: Path, record: dict) -> int:
    """Collect, print the files and the status counts; 0 if every run completed, else 1."""
    for path in collect(outdir, record):
        print(path)
    statuses = [run["status"] for run in record["runs"]]
    counts = ", ".join(f"{statuses.count(status)} {status}" for status in dict.fromkeys(statuses))
    print(f"{len(statuses)} runs: {counts}")
    return 0 if set(statuses) == {"completed"} else 1


def _sweep(args: argparse.Namespace) -> int:
    _check_options(args)
    if args.collect is not None:
        return _report(args.collect, read_sweep(args.collect))
    parameters = parse_params(args.param, args.set)
    runs = variants(parameters)
    case = validate_variants(args.case, args.set, runs)
    outdir = args.output if args.output is not None else Path("results") / f"{case.name}_sweep"
    ranks = args.np
    if args.slurm:
        record = create_sweep(outdir, args.case, args.set, parameters, runs, {"slurm": True, "np": ranks})
        script = write_slurm_script(outdir, record, ranks, args.time or "01:00:00", args.partition, args.account)
        print(f"{script}: SLURM array job of {len(runs)} runs, {ranks} MPI rank(s) each")
        print(f"submit:  sbatch {script}")
        print(f"collect: chemomech sweep --collect {outdir}   (once the runs have ended: summary.csv, figures)")
        return 0
    jobs = args.jobs or 1
    mpiexec = find_mpiexec() if ranks > 1 else None
    record = create_sweep(outdir, args.case, args.set, parameters, runs, {"jobs": jobs, "np": ranks})
    print(f"sweep of {args.case}: {len(runs)} runs, {jobs} at a time, {ranks} rank(s) each -> {outdir}")
    if jobs * ranks > (os.cpu_count() or 1):
        print(f"note: {jobs} x {ranks} processes on {os.cpu_count()} cores", file=sys.stderr)
    try:
        run_local(outdir, record, jobs, ranks, mpiexec)
    except KeyboardInterrupt:
        print(f"interrupted; chemomech sweep --collect {outdir} summarises the runs that ended", file=sys.stderr)
        return 130
    return _report(outdir, record)


def sweep(args: argparse.Namespace) -> int:
    """Run ``chemomech sweep`` with the parsed ``args``; return the exit code."""
    try:
        return _sweep(args)
    except SweepError as err:
        print(f"chemomech sweep: {err}", file=sys.stderr)
        return 2
