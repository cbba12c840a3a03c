"""Strong/size scaling of a 3D stack case: CG + GAMG on 1 and 2 MPI ranks.

    .venv/bin/python benchmarks/stack_scaling.py [--sizes small,medium[,large]] [--ranks 1,2]

Runs ``benchmarks/cases/stack_3d.yaml`` (quarter cylinder, 50 MPa preload in
one step, constant gap, discharge to xi = 1 in 4 steps, no field output) at
mesh sizes giving about 50k, 200k and 1M displacement dofs, each on every
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
import json
import sys
from pathlib import Path

from bench_common import (
    SOLVER_COLUMNS,
    add_run_options,
    markdown,
    metadata,
    read_csv,
    run_matrix,
    run_one,
    solver_row,
)

HERE = Path(__file__).resolve().parent
CASE = HERE / "cases" / "stack_3d.yaml"

SIZES = {"small": 37.0, "medium": 22.5, "large": 12.6, "tiny": 200.0}
"""In-plane element size h (um) of each size: cathode element layers h/2 thick,
separator and anode h. About 50k, 200k and 1M displacement dofs; ``tiny`` (630) is the suite's smoke test."""

COLUMNS = ["size", "ranks", *SOLVER_COLUMNS]


def mesh_overrides(h_um: float) -> list[str]:
    return [
        f"geometry.mesh_size={h_um:g} um",
        f"geometry.layers.cathode.mesh_size={h_um / 2:g} um",
        f"geometry.layers.anode.mesh_size={h_um:g} um",
    ]


TABLE = [
    ("size", "size"), ("ranks", "ranks"), ("dofs", "dofs"), ("cells", "cells"),
    ("wall_s", "wall [s]"), ("setup_s", "setup [s]"), ("newton", "Newton"),
    ("s_per_newton", "s/Newton"), ("krylov_per_newton", "Krylov/Newton"),
    ("jac_s_per_newton", "assembly s/Newton"), ("pcsetup_s_per_newton", "GAMG setup s/Newton"),
    ("ksp_s_per_newton", "CG s/Newton"),
    ("peak_rss_mb", "peak RSS [MB]"), ("rss_kb_per_dof", "RSS/dof [kB]"),
    ("eff_wall", "eff (wall)"), ("eff_newton", "eff (s/Newton)"), ("bg_cores", "busy cores before"),
]


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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="small,medium",
                        help=f"comma-separated, from {','.join(SIZES)} (default: small,medium)")
    add_run_options(parser, "stack_scaling.csv")
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
        print(markdown(rows, TABLE))
        return 0
    meta = metadata(args, sizes_um={name: SIZES[name] for name in args.sizes.split(",") if name in SIZES})
    (args.out / "stack_scaling.meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    if not args.no_warmup:
        print("warm-up (coarse mesh, fills the form compilation cache) ...", flush=True)
        warm = run_one(CASE, "warmup", mesh_overrides(200.0), 1, args.out / "runs" / "warmup", args.timeout, args)
        if "summary" not in warm:
            print("warm-up run failed", file=sys.stderr)
            return 1

    configs = [(name, f"{name} (h = {SIZES[name]:g} um)", mesh_overrides(SIZES[name])) for name in sizes]
    rows = run_matrix(args, CASE, configs, ranks, solver_row, COLUMNS, csv_path)
    plot(rows, png_path)
    print()
    print(markdown(rows, TABLE))
    print(f"\nwrote {csv_path} and {png_path}")
    return 0 if all(r.get("status") == "completed" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
