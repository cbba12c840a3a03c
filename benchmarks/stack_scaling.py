"""Strong/size scaling of a 3D stack case: CG + GAMG on 1 and 2 MPI ranks.

    .venv/bin/python benchmarks/stack_scaling.py [--sizes small,medium[,large]] [--ranks 1,2]

Runs ``benchmarks/cases/stack_3d.yaml`` (quarter cylinder, 50 MPa preload in
one step, constant gap, discharge to xi = 1 in 4 steps, no field output) at
mesh sizes giving about 20k, 100k and 400k displacement dofs, each on every
rank count, through ``benchmarks/instrumented_run.py`` under ``mpiexec``.
Prints a table and writes ``benchmarks/out/stack_scaling.csv`` and
``benchmarks/out/stack_scaling.png`` (time per Newton step and Krylov
iterations per Newton step against dofs). Every run's own output directory
(``summary.json``, ``instrumentation.json``, ``series.csv``) is kept under
``benchmarks/out/runs/``.

Definitions (per run):

* ``wall_s``: the run's own wall time (``summary.json``: mesh, model and all
  steps; Python start-up and form compilation before the case is loaded are
  not in it, JIT compilation of the forms is: a warm-up run fills the cache);
* ``setup_s``: time before the first solve (``summary.json`` ``setup_time_s``,
  else measured by the wrapper); ``mesh_s``: the part spent in ``build_domain``;
* ``solve_s``: time inside the nonlinear solves; ``s_per_newton`` =
  ``solve_s / newton``; ``jac_s_per_newton``, ``pcsetup_s_per_newton`` and
  ``ksp_s_per_newton``: its Jacobian assembly, GAMG setup (PCSetUp) and CG
  iterations (KSPSolve) parts (PETSc log events, max over ranks); the rest is
  residual assembly and line search;
* ``peak_rss_mb``: max RSS summed over ranks (rank 0 also meshes with gmsh);
  ``rss_kb_per_dof`` = that / dofs;
* ``eff_wall``, ``eff_newton``: parallel efficiency T1 / (n T_n) of ``wall_s``
  and of ``s_per_newton`` (the latter is not skewed by a different number of
  Newton steps), on the n-rank rows;
* ``bg_cores``: cores kept busy by other processes just before the run (from
  /proc/stat), ``cpu_util``: CPU time of the ranks / (ranks x process wall).
  On a shared machine a run with ``bg_cores`` above ~0.3 is not a clean
  measurement; ``--wait-idle`` waits for a quiet machine first.
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
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASE = HERE / "cases" / "stack_3d.yaml"
WRAPPER = HERE / "instrumented_run.py"

SIZES = {"small": 50.0, "medium": 29.0, "large": 17.5}
"""In-plane element size h (um) of each size: cathode element layers h/2 thick,
separator and anode h. About 20k, 100k and 400k displacement dofs."""

COLUMNS = [
    "size", "ranks", "dofs", "cells", "wall_s", "setup_s", "mesh_s", "solve_s", "steps",
    "newton", "krylov", "s_per_newton", "krylov_per_newton", "jac_s_per_newton",
    "pcsetup_s_per_newton", "ksp_s_per_newton", "peak_rss_mb", "rss_kb_per_dof", "eff_wall", "eff_newton",
    "bg_cores", "cpu_util", "status",
]


def mesh_overrides(h_um: float) -> list[str]:
    return [
        f"geometry.mesh_size={h_um:g} um",
        f"geometry.layers.cathode.mesh_size={h_um / 2:g} um",
        f"geometry.layers.anode.mesh_size={h_um:g} um",
    ]


def _cpu_ticks() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


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


def run_one(name: str, overrides: list[str], ranks: int, outdir: Path, timeout: float, args) -> dict:
    """Run the case once; return the raw figures (summary + instrumentation)."""
    if outdir.exists():
        shutil.rmtree(outdir)
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    command = [mpiexec(), "-n", str(ranks), sys.executable, str(WRAPPER), str(CASE), "-o", str(outdir)]
    for item in overrides:
        command += ["--set", item]
    bg = wait_idle(args.wait_idle, args.idle_threshold) if args.wait_idle > 0 else busy_cores()
    start = time.perf_counter()
    try:
        proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"  timed out after {timeout:g} s", file=sys.stderr)
        return {"size": name, "ranks": ranks, "status": "timeout", "bg_cores": bg}
    process_wall = time.perf_counter() - start
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n", file=sys.stderr)
        return {"size": name, "ranks": ranks, "status": f"exit {proc.returncode}", "bg_cores": bg}
    summary = json.loads((outdir / "summary.json").read_text())
    inst = json.loads((outdir / "instrumentation.json").read_text())
    return {"size": name, "ranks": ranks, "summary": summary, "inst": inst, "bg_cores": bg,
            "process_wall_s": process_wall}


def row_of(raw: dict) -> dict:
    if "summary" not in raw:
        return {key: raw.get(key, "") for key in COLUMNS}
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
        "status": s["status"],
    }


def add_efficiency(rows: list[dict]) -> None:
    serial = {r["size"]: r for r in rows if r["ranks"] == 1 and r.get("status") == "completed"}
    for r in rows:
        base = serial.get(r["size"])
        if r["ranks"] == 1 or base is None or r.get("status") != "completed":
            continue
        r["eff_wall"] = base["wall_s"] / (r["ranks"] * r["wall_s"])
        r["eff_newton"] = base["s_per_newton"] / (r["ranks"] * r["s_per_newton"])


def fmt(value, key: str) -> str:
    if value == "" or value is None:
        return "-"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if key in ("wall_s", "setup_s", "mesh_s", "solve_s", "peak_rss_mb"):
            return f"{value:.1f}"
        if key in ("krylov_per_newton", "rss_kb_per_dof"):
            return f"{value:.1f}"
        if key.startswith("eff") or key in ("bg_cores", "cpu_util"):
            return f"{value:.2f}"
        if key.endswith("s_per_newton"):
            return f"{value:.3f}"
        return f"{value:.3g}"
    return str(value)


TABLE = [
    ("size", "size"), ("ranks", "ranks"), ("dofs", "dofs"), ("cells", "cells"),
    ("wall_s", "wall [s]"), ("setup_s", "setup [s]"), ("newton", "Newton"),
    ("s_per_newton", "s/Newton"), ("krylov_per_newton", "Krylov/Newton"),
    ("jac_s_per_newton", "assembly s/Newton"), ("pcsetup_s_per_newton", "GAMG setup s/Newton"),
    ("ksp_s_per_newton", "CG s/Newton"),
    ("peak_rss_mb", "peak RSS [MB]"), ("rss_kb_per_dof", "RSS/dof [kB]"),
    ("eff_wall", "eff (wall)"), ("eff_newton", "eff (s/Newton)"), ("bg_cores", "busy cores before"),
]


def markdown(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(title for _, title in TABLE) + " |",
             "|" + "|".join("---:" if key not in ("size",) else "---" for key, _ in TABLE) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(fmt(r.get(key, ""), key) for key, _ in TABLE) + " |")
    return "\n".join(lines)


def write_csv(rows: list[dict], path: Path) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items() if k in COLUMNS})


def read_csv(path: Path) -> list[dict]:
    """Rows of a CSV written by :func:`write_csv`, with numbers parsed."""
    integers = {"ranks", "dofs", "cells", "steps", "newton", "krylov"}

    def parse(key: str, value: str):
        try:
            return int(value) if key in integers else float(value)
        except ValueError:
            return value

    with open(path, newline="") as handle:
        return [{k: parse(k, v) for k, v in row.items()} for row in csv.DictReader(handle)]


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    done = [r for r in rows if r.get("status") == "completed"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for ranks in sorted({r["ranks"] for r in done}):
        series = sorted((r for r in done if r["ranks"] == ranks), key=lambda r: r["dofs"])
        dofs = [r["dofs"] for r in series]
        label = f"{ranks} rank" + ("s" if ranks > 1 else "")
        left.loglog(dofs, [r["s_per_newton"] for r in series], "o-", label=label)
        right.semilogx(dofs, [r["krylov_per_newton"] for r in series], "o-", label=label)
    if done:
        base = min(done, key=lambda r: (r["ranks"], r["dofs"]))
        ref = [base["dofs"], max(r["dofs"] for r in done)]
        left.loglog(ref, [base["s_per_newton"] * d / base["dofs"] for d in ref], "k:", label="O(N)")
    left.set(xlabel="displacement dofs", ylabel="time per Newton step [s]",
             title="stack_3d: CG + GAMG, time per Newton step")
    right.set(xlabel="displacement dofs", ylabel="Krylov iterations per Newton step",
              title="CG iterations per Newton step")
    right.set_ylim(bottom=0)
    for ax in (left, right):
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def metadata(args) -> dict:
    """Where and on what the benchmark ran."""
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
        "sizes_um": {name: SIZES[name] for name in args.sizes.split(",") if name in SIZES},
        "argv": sys.argv,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="small,medium",
                        help=f"comma-separated, from {','.join(SIZES)} (default: small,medium)")
    parser.add_argument("--ranks", default="1,2", help="comma-separated MPI rank counts (default: 1,2)")
    parser.add_argument("--out", type=Path, default=HERE / "out", help="output folder (default: benchmarks/out)")
    parser.add_argument("--timeout", type=float, default=1800, help="per run, seconds (default: 1800)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each configuration this many times, keep the fastest (default: 1)")
    parser.add_argument("--plot-only", action="store_true",
                        help="only redraw the plot and table from an existing stack_scaling.csv")
    parser.add_argument("--no-warmup", action="store_true", help="skip the coarse warm-up run (JIT cache)")
    parser.add_argument("--wait-idle", type=float, default=0, metavar="SECONDS",
                        help="before each run wait up to SECONDS for other processes to go quiet")
    parser.add_argument("--idle-threshold", type=float, default=0.3, metavar="CORES",
                        help="'quiet' means fewer busy cores than this (default: 0.3)")
    args = parser.parse_args(argv)

    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {unknown}; choose from {list(SIZES)}")
    ranks = [int(r) for r in args.ranks.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    csv_path, png_path = args.out / "stack_scaling.csv", args.out / "stack_scaling.png"

    if args.plot_only:
        rows = read_csv(csv_path)
        plot(rows, png_path)
        print(markdown(rows))
        return 0
    (args.out / "stack_scaling.meta.json").write_text(json.dumps(metadata(args), indent=2) + "\n")
    if not args.no_warmup:
        print("warm-up (coarse mesh, fills the form compilation cache) ...", flush=True)
        warm = run_one("warmup", mesh_overrides(200.0), 1, args.out / "runs" / "warmup", args.timeout, args)
        if "summary" not in warm:
            print("warm-up run failed", file=sys.stderr)
            return 1

    rows = []
    for name in sizes:
        for n in ranks:
            print(f"{name} (h = {SIZES[name]:g} um) on {n} rank(s) ...", flush=True)
            tries = []
            for attempt in range(max(args.repeat, 1)):
                raw = run_one(name, mesh_overrides(SIZES[name]), n,
                              args.out / "runs" / f"{name}_np{n}_{attempt}", args.timeout, args)
                tries.append(row_of(raw))
                if args.repeat > 1:
                    print(f"  try {attempt + 1}: wall {fmt(tries[-1].get('wall_s', ''), 'wall_s')} s", flush=True)
            done = [t for t in tries if t.get("status") == "completed"]
            rows.append(min(done, key=lambda t: t["wall_s"]) if done else tries[-1])
            add_efficiency(rows)
            r = rows[-1]
            print("  " + ", ".join(f"{key}={fmt(r.get(key, ''), key)}" for key in COLUMNS[2:]), flush=True)
            write_csv(rows, csv_path)
    plot(rows, png_path)
    print()
    print(markdown(rows))
    print(f"\nwrote {csv_path} and {png_path}")
    return 0 if all(r.get("status") == "completed" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
