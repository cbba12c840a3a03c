"""Shared parts of the scaling benchmarks (stack_scaling.py, rve_scaling.py).

Running a case through ``instrumented_run.py`` under ``mpiexec`` (waiting for
a quiet machine first), the solver figures of a run (one row), parallel
efficiency, CSV and Markdown tables, run metadata, the common command-line
options and the loop over sizes and rank counts. Each benchmark keeps its own
case, sizes, extra columns and plot.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
WRAPPER = HERE / "instrumented_run.py"

SOLVER_COLUMNS = [
    "dofs", "cells", "wall_s", "setup_s", "mesh_s", "solve_s", "steps",
    "newton", "krylov", "s_per_newton", "krylov_per_newton", "jac_s_per_newton",
    "pcsetup_s_per_newton", "ksp_s_per_newton", "peak_rss_mb", "rss_kb_per_dof", "eff_wall", "eff_newton",
    "bg_cores", "cpu_util", "status",
]
"""Columns of :func:`solver_row` after the size and rank columns."""

INTEGER_COLUMNS = {"ranks", "dofs", "cells", "steps", "newton", "krylov"}


def _cpu_ticks() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _busy_ticks() -> int | None:
    """Clock ticks all CPUs have spent busy since boot; None off Linux."""
    try:
        return _cpu_ticks()[0]
    except OSError:
        return None


def busy_cores(seconds: float = 1.0) -> float:
    """Cores busy (all processes) averaged over ``seconds``; NaN off Linux."""
    try:
        busy0, total0 = _cpu_ticks()
        time.sleep(seconds)
        busy1, total1 = _cpu_ticks()
    except OSError:
        return math.nan
    cores = os.cpu_count() or 1
    return cores * (busy1 - busy0) / max(total1 - total0, 1)


def wait_idle(limit_s: float, threshold: float) -> float:
    """Wait (at most ``limit_s``) until fewer than ``threshold`` cores are busy."""
    deadline = time.monotonic() + limit_s
    load = busy_cores()
    while load > threshold and time.monotonic() < deadline:
        print(f"  machine busy ({load:.2f} cores), waiting ...", flush=True)
        time.sleep(10)
        load = busy_cores(2.0)
    return load


def mpiexec() -> str:
    local = Path(sys.executable).parent / "mpiexec"
    found = str(local) if local.exists() else shutil.which("mpiexec")
    if found is None:
        sys.exit("mpiexec not found (expected next to the Python interpreter)")
    return found


def run_one(
    case: Path, name, overrides: list[str], ranks: int, outdir: Path, timeout: float, args, extra: tuple = ()
) -> dict:
    """Run ``case`` once (``extra``: more arguments of instrumented_run.py); return the raw figures
    (summary + instrumentation + the run folder)."""
    if outdir.exists():
        shutil.rmtree(outdir)
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    command = [mpiexec(), "-n", str(ranks), sys.executable, str(WRAPPER), str(case), "-o", str(outdir)]
    for item in overrides:
        command += ["--set", item]
    command += list(extra)
    bg = wait_idle(args.wait_idle, args.idle_threshold) if args.wait_idle > 0 else busy_cores()
    ticks = _busy_ticks()
    start = time.perf_counter()
    try:
        proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"  timed out after {timeout:g} s", file=sys.stderr)
        return {"size": name, "ranks": ranks, "status": "timeout", "bg_cores": bg}
    process_wall = time.perf_counter() - start
    busy_during = math.nan if ticks is None else (_busy_ticks() - ticks) / os.sysconf("SC_CLK_TCK") / process_wall
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n", file=sys.stderr)
        return {"size": name, "ranks": ranks, "status": f"exit {proc.returncode}", "bg_cores": bg}
    summary = json.loads((outdir / "summary.json").read_text())
    inst = json.loads((outdir / "instrumentation.json").read_text())
    return {"size": name, "ranks": ranks, "summary": summary, "inst": inst, "bg_cores": bg,
            "process_wall_s": process_wall, "busy_during": busy_during, "outdir": outdir}


def solver_row(raw: dict) -> dict:
    """Size, ranks and the :data:`SOLVER_COLUMNS` of a run (see the benchmarks' docstrings).

    Also ``bg_during``: cores kept busy by other processes during the run, on
    average (all CPUs' busy time from /proc/stat less the ranks' CPU time,
    over the run's wall time; the ranks' start-up is in both).
    """
    if "summary" not in raw:
        return {key: raw.get(key, "") for key in ["size", "ranks", *SOLVER_COLUMNS]}
    s, inst = raw["summary"], raw["inst"]
    newton = s["newton_iterations"]
    petsc = inst["petsc"]
    dofs = s["mesh"]["displacement_dofs"]
    peak_kb = sum(inst["rss_peak_kb"])
    setup = s.get("setup_time_s", inst.get("setup_time_s"))
    per_newton = (lambda t: t / newton) if newton else (lambda t: math.nan)
    return {
        "size": raw["size"],
        "ranks": raw["ranks"],
        "dofs": dofs,
        "cells": s["mesh"]["cells"],
        "wall_s": s["wall_time_s"],
        "setup_s": setup,
        "mesh_s": inst.get("mesh_time_s"),
        "solve_s": inst["solve_time_s"],
        "steps": s["steps"],
        "newton": newton,
        "krylov": s["krylov_iterations"],
        "s_per_newton": per_newton(inst["solve_time_s"]),
        "krylov_per_newton": per_newton(s["krylov_iterations"]),
        "jac_s_per_newton": per_newton(petsc["SNESJacobianEval"]["time_s"]),
        "pcsetup_s_per_newton": per_newton(petsc["PCSetUp"]["time_s"]),
        "ksp_s_per_newton": per_newton(petsc["KSPSolve"]["time_s"]),
        "peak_rss_mb": peak_kb / 1024,
        "rss_kb_per_dof": peak_kb / dofs,
        "eff_wall": "",
        "eff_newton": "",
        "bg_cores": raw["bg_cores"],
        "cpu_util": sum(inst["cpu_time_s"]) / (raw["ranks"] * raw["process_wall_s"]),
        "bg_during": raw["busy_during"] - sum(inst["cpu_time_s"]) / raw["process_wall_s"],
        "status": s["status"],
    }


EFFICIENCIES = {"eff_wall": "wall_s", "eff_newton": "s_per_newton"}
"""Parallel efficiency columns and the time each is computed from."""


def add_efficiency(rows: list[dict], efficiencies: dict[str, str] = EFFICIENCIES) -> None:
    """Parallel efficiency T1 / (n T_n) on the n-rank rows of each size (``eff_wall``, ``eff_newton``, ...)."""
    serial = {r["size"]: r for r in rows if r["ranks"] == 1 and r.get("status") == "completed"}
    for r in rows:
        base = serial.get(r["size"])
        if r["ranks"] == 1 or base is None or r.get("status") != "completed":
            continue
        for column, time_column in efficiencies.items():
            r[column] = base[time_column] / (r["ranks"] * r[time_column])


def fmt(value, key: str, formats: dict[str, str] | None = None) -> str:
    """A table cell; ``formats`` maps column names to format specs that override the defaults."""
    if value == "" or value is None:
        return "-"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if formats and key in formats:
            return format(value, formats[key])
        if key in ("wall_s", "setup_s", "mesh_s", "solve_s", "peak_rss_mb"):
            return f"{value:.1f}"
        if key in ("krylov_per_newton", "rss_kb_per_dof"):
            return f"{value:.1f}"
        if key.startswith("eff") or key in ("bg_cores", "bg_during", "cpu_util"):
            return f"{value:.2f}"
        if key.endswith("s_per_newton"):
            return f"{value:.3f}"
        return f"{value:.3g}"
    return str(value)


def markdown(rows: list[dict], table: list[tuple[str, str]], formats: dict[str, str] | None = None) -> str:
    """A Markdown table of ``rows``: ``table`` lists (column, title); the size column is left-aligned."""
    lines = ["| " + " | ".join(title for _, title in table) + " |",
             "|" + "|".join("---:" if key not in ("size",) else "---" for key, _ in table) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(fmt(r.get(key, ""), key, formats) for key, _ in table) + " |")
    return "\n".join(lines)


def write_csv(rows: list[dict], path: Path, columns: list[str]) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items() if k in columns})


def read_csv(path: Path, integers: set[str] = INTEGER_COLUMNS) -> list[dict]:
    """Rows of a CSV written by :func:`write_csv`, with numbers parsed."""

    def parse(key: str, value: str):
        try:
            return int(value) if key in integers else float(value)
        except ValueError:
            return value

    with open(path, newline="") as handle:
        return [{k: parse(k, v) for k, v in row.items()} for row in csv.DictReader(handle)]


def metadata(args, **extra) -> dict:
    """Where and on what the benchmark ran; ``extra`` is added at the end."""
    def command(*cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, cwd=HERE, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    versions = command(sys.executable, "-c", (
        "import dolfinx_solver, dolfinx, petsc4py; from petsc4py import PETSc; "
        "print(dolfinx.__version__, '.'.join(map(str, PETSc.Sys.getVersion())))"))
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "git_commit": command("git", "rev-parse", "HEAD"),
        "git_dirty": bool(command("git", "status", "--porcelain", "--untracked-files=no")),
        "cpus": os.cpu_count(),
        "platform": command("uname", "-srm"),
        "dolfinx_petsc": versions,
        "mpiexec": mpiexec(),
        **extra,
        "argv": sys.argv,
    }


def add_run_options(parser: argparse.ArgumentParser, csv_name: str) -> None:
    """The options every scaling benchmark has besides ``--sizes``."""
    parser.add_argument("--ranks", default="1,2", help="comma-separated MPI rank counts (default: 1,2)")
    parser.add_argument("--out", type=Path, default=HERE / "out", help="output folder (default: benchmarks/out)")
    parser.add_argument("--timeout", type=float, default=1800, help="per run, seconds (default: 1800)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each configuration this many times, keep the fastest (default: 1)")
    parser.add_argument("--plot-only", action="store_true",
                        help=f"only redraw the plot and table from an existing {csv_name}")
    parser.add_argument("--no-warmup", action="store_true", help="skip the coarse warm-up run (JIT cache)")
    parser.add_argument("--wait-idle", type=float, default=0, metavar="SECONDS",
                        help="before each run wait up to SECONDS for other processes to go quiet")
    parser.add_argument("--idle-threshold", type=float, default=0.3, metavar="CORES",
                        help="'quiet' means fewer busy cores than this (default: 0.3)")


def run_matrix(
    args,
    case: Path,
    configs: list[tuple[object, str, list[str]]],
    ranks: list[int],
    row_of: Callable[[dict], dict],
    columns: list[str],
    csv_path: Path,
    formats: dict[str, str] | None = None,
    efficiencies: dict[str, str] = EFFICIENCIES,
    prefix: str = "",
) -> list[dict]:
    """Run every (size, rank count), ``--repeat`` times each keeping the fastest; write the CSV as it goes.

    ``configs`` lists (size, description printed before its runs, ``--set`` overrides);
    ``row_of`` turns a :func:`run_one` result into a row of ``columns``; ``formats`` and
    ``efficiencies`` go to :func:`fmt` and :func:`add_efficiency`. Run ``k`` of a size on ``n`` ranks
    goes to ``runs/<prefix><size>_np<n>_<k>`` in the output folder.
    """
    rows = []
    for name, description, overrides in configs:
        for n in ranks:
            print(f"{description} on {n} rank(s) ...", flush=True)
            tries = []
            for attempt in range(max(args.repeat, 1)):
                outdir = args.out / "runs" / f"{prefix}{name}_np{n}_{attempt}"
                raw = run_one(case, name, overrides, n, outdir, args.timeout, args)
                tries.append(row_of(raw))
                if args.repeat > 1:
                    print(f"  try {attempt + 1}: wall {fmt(tries[-1].get('wall_s', ''), 'wall_s')} s", flush=True)
            done = [t for t in tries if t.get("status") == "completed"]
            rows.append(min(done, key=lambda t: t["wall_s"]) if done else tries[-1])
            add_efficiency(rows, efficiencies)
            r = rows[-1]
            print("  " + ", ".join(f"{key}={fmt(r.get(key, ''), key, formats)}" for key in columns[2:]), flush=True)
            write_csv(rows, csv_path, columns)
    return rows
