"""chemomech against a hand-written DOLFINx script on the same problem, at three sizes, on 1 and 2 ranks.

    .venv/bin/python benchmarks/inclusion_compare.py [--sizes small,medium,large] [--ranks 1,2]

The problem (benchmarks/inclusion_problem.py): a sulfur particle swelling to
Li2S in a cube of Li6PS5Cl at constant gap, finite strain, five lithiation
steps. For each size the mesh is written once with gmsh (``mesh_write_s``,
not counted for either tool), then on each rank count

* (a) ``benchmarks/inclusion_reference.py``: the DOLFINx script a user would
  write (SNES Newton, CG + GAMG with the rigid-body near-nullspace);
* (b) ``benchmarks/cases/inclusion.yaml`` through ``chemomech run``'s code
  path (``instrumented_run.py``, which also reports PETSc events and memory),
  as tool ``chemomech`` reading the .msh (rank 0 reads it and names its
  facets, as for any imported mesh) and as ``chemomech_premeshed`` reading
  the domain that ``chemomech mesh`` wrote from it beforehand, in parallel
  (the large-run workflow; like the gmsh step, ``chemomech mesh`` is not
  counted: ``premesh_s``), and as ``chemomech_low_memory``: pre-meshed,
  with ``solver.low_memory`` (one point-wise Jacobian, no block matrix);
  not in the default ``--tools``.

Both read the same .msh file and solve to the same Newton tolerances. Columns
(one row per size, rank count and tool):

* ``total_s``: wall time of the whole process (interpreter start, imports,
  mesh read and distribution, set-up, solves, output); the form cache is warm
  (a coarse warm-up run of each tool comes first);
* ``setup_s``: mesh read + problem set-up; ``solve_s``: time in the nonlinear
  solves; ``s_per_newton``, ``krylov_per_newton``: per Newton step;
* ``peak_mb``, ``kb_per_dof``: peak resident memory summed over the ranks,
  and per displacement dof;
* ``eff``: parallel efficiency of ``total_s``, T1 / (n Tn), per tool;
* ``ratio``: chemomech's ``total_s`` over the reference's (same size, ranks);
* ``sigma_h_MPa``: the particle's mean hydrostatic Cauchy stress at ξ = 1,
  and ``sigma_h_diff``: chemomech's relative difference to the reference
  (the accuracy check: both must solve the same problem equally well);
* ``bg_cores``: cores busy with other work just before the run (> 0.3: the
  machine was shared).

Writes ``benchmarks/out/inclusion_compare.csv`` and ``.png`` (total time and
time per Newton step against dofs) and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench_common import add_run_options, busy_cores, markdown, metadata, mpiexec, read_csv, run_one, wait_idle, write_csv
from inclusion_problem import SIZES, write_mesh

HERE = Path(__file__).resolve().parent
CASE = HERE / "cases" / "inclusion.yaml"
REFERENCE = HERE / "inclusion_reference.py"
WARMUP_H = 2.0e-6
TOOLS = ("reference", "chemomech", "chemomech_premeshed")
OPTIONAL_TOOLS = ("chemomech_low_memory",)

COLUMNS = [
    "size", "ranks", "tool", "dofs", "mesh_write_s", "premesh_s", "total_s", "setup_s", "solve_s", "newton", "s_per_newton",
    "krylov_per_newton", "peak_mb", "kb_per_dof", "eff", "ratio", "sigma_h_MPa", "sigma_h_diff", "bg_cores", "status",
]
TABLE = [
    ("size", "size"), ("ranks", "ranks"), ("tool", "tool"), ("dofs", "dofs"), ("total_s", "total [s]"),
    ("setup_s", "setup [s]"), ("newton", "Newton"), ("s_per_newton", "s/Newton"),
    ("krylov_per_newton", "Krylov/Newton"), ("kb_per_dof", "memory/dof [kB]"), ("eff", "parallel eff."),
    ("ratio", "chemomech/reference"), ("sigma_h_diff", "σh difference"), ("bg_cores", "busy cores before"),
]
FORMATS = {"sigma_h_diff": ".1e", "ratio": ".2f", "kb_per_dof": ".2f", "eff": ".2f"}


def run_reference(mesh: Path, ranks: int, out: Path, args) -> dict:
    """The hand-written script on ``mesh``: its figures as a row."""
    out.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    bg = wait_idle(args.wait_idle, args.idle_threshold) if args.wait_idle > 0 else busy_cores()
    command = [mpiexec(), "-n", str(ranks), sys.executable, str(REFERENCE), str(mesh), str(out)]
    start = time.perf_counter()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=args.timeout)
    total = time.perf_counter() - start
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n", file=sys.stderr)
        return {"ranks": ranks, "tool": "reference", "status": f"exit {proc.returncode}", "bg_cores": bg}
    data = json.loads(out.read_text())
    steps = data["steps"]
    newton = sum(s["newton_iterations [-]"] for s in steps)
    solve = sum(s["solve [s]"] for s in steps)
    return {
        "ranks": ranks, "tool": "reference", "dofs": data["dofs"], "total_s": total,
        "setup_s": data["mesh [s]"] + data["setup [s]"], "solve_s": solve, "newton": newton,
        "s_per_newton": solve / newton, "krylov_per_newton": sum(s["krylov_iterations [-]"] for s in steps) / newton,
        "peak_mb": data["peak_memory [B]"] / 2**20, "kb_per_dof": data["peak_memory [B]"] / 1024 / data["dofs"],
        "sigma_h_MPa": steps[-1]["particle_hydrostatic_mean [Pa]"] * 1e-6, "bg_cores": bg, "status": "completed",
    }


def premesh(mesh: Path, domain: Path) -> float:
    """``chemomech mesh`` of the case on ``mesh`` into ``domain``; its wall time."""
    command = [sys.executable, "-m", "chemomech", "mesh", str(CASE), "-o", str(domain), "--set", f"geometry.file={mesh}"]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def run_chemomech(
    mesh: Path, ranks: int, outdir: Path, args, domain: Path | None = None, low_memory: bool = False
) -> dict:
    """The chemomech case on ``mesh`` (or on its pre-meshed ``domain``, optionally with
    ``solver.low_memory``): its figures as a row."""
    extra = ("--mesh", str(domain)) if domain is not None else ()
    tool = "chemomech" if domain is None else "chemomech_low_memory" if low_memory else "chemomech_premeshed"
    settings = [f"geometry.file={mesh}"] + (["solver.low_memory=true"] if low_memory else [])
    raw = run_one(CASE, "", settings, ranks, outdir, args.timeout, args, extra)
    if "summary" not in raw:
        return {"ranks": ranks, "tool": tool, "status": raw["status"], "bg_cores": raw["bg_cores"]}
    summary, inst = raw["summary"], raw["inst"]
    newton = summary["newton_iterations"]
    dofs = summary["mesh"]["displacement_dofs"]
    peak_kb = sum(inst["rss_peak_kb"])
    series = read_csv(outdir / "series.csv", set())
    return {
        "ranks": ranks, "tool": tool, "dofs": dofs, "total_s": raw["process_wall_s"],
        "setup_s": summary.get("setup_time_s", inst.get("setup_time_s")), "solve_s": inst["solve_time_s"],
        "newton": newton, "s_per_newton": inst["solve_time_s"] / newton,
        "krylov_per_newton": summary["krylov_iterations"] / newton, "peak_mb": peak_kb / 1024,
        "kb_per_dof": peak_kb / dofs, "sigma_h_MPa": series[-1]["particle_hydrostatic_mean [MPa]"],
        "bg_cores": raw["bg_cores"], "status": summary["status"],
    }


def compare(rows: list[dict]) -> None:
    """Fill ``eff`` (per tool), ``ratio`` and ``sigma_h_diff`` (chemomech against the reference)."""
    done = {(r["size"], r["ranks"], r["tool"]): r for r in rows if r.get("status") == "completed"}
    for (size, ranks, tool), r in done.items():
        serial = done.get((size, 1, tool))
        if ranks > 1 and serial is not None:
            r["eff"] = serial["total_s"] / (ranks * r["total_s"])
        reference = done.get((size, ranks, "reference"))
        if tool.startswith("chemomech") and reference is not None:
            r["ratio"] = r["total_s"] / reference["total_s"]
            r["sigma_h_diff"] = abs(r["sigma_h_MPa"] / reference["sigma_h_MPa"] - 1)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = [r for r in rows if r.get("status") == "completed"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for tool, style in (
        ("reference", "s--"), ("chemomech", "o-"), ("chemomech_premeshed", "^-"), ("chemomech_low_memory", "v:")
    ):
        for ranks in sorted({r["ranks"] for r in done}):
            series = sorted((r for r in done if r["tool"] == tool and r["ranks"] == ranks), key=lambda r: r["dofs"])
            if not series:
                continue
            dofs = [r["dofs"] for r in series]
            label = f"{tool}, {ranks} rank" + ("s" if ranks > 1 else "")
            left.loglog(dofs, [r["total_s"] for r in series], style, label=label)
            right.loglog(dofs, [r["s_per_newton"] for r in series], style, label=label)
    left.set(xlabel="displacement dofs", ylabel="total time [s]", title="swelling inclusion: total time")
    right.set(xlabel="displacement dofs", ylabel="time per Newton step [s]", title="time per Newton step")
    for ax in (left, right):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="small,medium,large", help=f"comma-separated, from {','.join(SIZES)}")
    parser.add_argument(
        "--tools", default=",".join(TOOLS), help=f"comma-separated, from {','.join(TOOLS + OPTIONAL_TOOLS)}"
    )
    add_run_options(parser, "inclusion_compare.csv")
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if unknown := [s for s in sizes if s not in SIZES]:
        parser.error(f"unknown size(s) {unknown}; choose from {list(SIZES)}")
    ranks = [int(r) for r in args.ranks.split(",")]
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    if unknown := [t for t in tools if t not in TOOLS + OPTIONAL_TOOLS]:
        parser.error(f"unknown tool(s) {unknown}; choose from {list(TOOLS + OPTIONAL_TOOLS)}")
    folder = args.out.absolute() / "inclusion"  # the case resolves a relative mesh path against its own folder
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, png_path = args.out / "inclusion_compare.csv", args.out / "inclusion_compare.png"
    if args.plot_only:
        rows = read_csv(csv_path)
        plot(rows, png_path)
        print(markdown(rows, TABLE, FORMATS))
        return 0
    meta = metadata(args, sizes_m={name: SIZES[name] for name in sizes})
    (args.out / "inclusion_compare.meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    if not args.no_warmup:
        print("warm-up (coarse mesh, fills the form caches of both tools) ...", flush=True)
        warm = write_mesh(folder / "warmup.msh", WARMUP_H)
        reference = run_reference(warm, 1, folder / "warmup_reference.json", args)
        chemomech = run_chemomech(warm, 1, folder / "runs" / "warmup", args)
        if "completed" not in (reference["status"], chemomech["status"]) or reference["status"] != chemomech["status"]:
            print("warm-up run failed", file=sys.stderr)
            return 1
    rows = []
    for size in sizes:
        start = time.perf_counter()
        mesh = write_mesh(folder / f"{size}.msh", SIZES[size])
        mesh_write = time.perf_counter() - start
        domain = folder / f"{size}_domain"
        premesh_time = premesh(mesh, domain)
        print(f"{size}: h = {SIZES[size] * 1e6:g} um, mesh written in {mesh_write:.1f} s, "
              f"pre-meshed by chemomech in {premesh_time:.1f} s", flush=True)
        for n in ranks:
            for tool in tools:
                tries = []
                for attempt in range(max(args.repeat, 1)):
                    run = folder / "runs" / f"{size}_np{n}_{attempt}"
                    if tool == "reference":
                        row = run_reference(mesh, n, run.with_name(f"{run.name}_reference.json"), args)
                    elif tool == "chemomech":
                        row = run_chemomech(mesh, n, run, args)
                    else:
                        low_memory = tool == "chemomech_low_memory"
                        name = f"{run.name}_{'low_memory' if low_memory else 'premeshed'}"
                        row = run_chemomech(mesh, n, run.with_name(name), args, domain, low_memory=low_memory)
                    tries.append(row | {"size": size, "mesh_write_s": mesh_write, "premesh_s": premesh_time})
                done = [t for t in tries if t.get("status") == "completed"]
                rows.append(min(done, key=lambda t: t["total_s"]) if done else tries[-1])
                compare(rows)
                r = rows[-1]
                print(f"  {tool} on {n} rank(s): " + ", ".join(f"{k}={r.get(k, '')}" for k in COLUMNS[3:]), flush=True)
                write_csv(rows, csv_path, COLUMNS)
    plot(rows, png_path)
    print()
    print(markdown(rows, TABLE, FORMATS))
    print(f"\nwrote {csv_path} and {png_path}")
    return 0 if all(r.get("status") == "completed" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
