"""Meshing and solver time of generated 3D particle RVEs of 10, 30 and 100 particles on 1 and 2 MPI ranks.

    .venv/bin/python benchmarks/rve_scaling.py [--sizes 10,30,100] [--ranks 1,2] [--wait-idle 300]

Runs ``benchmarks/cases/rve_3d.yaml`` (sulfur particles at 30 vol %, mean
radius 4 um, 20 % spread; carbon black agglomerates 5 % and pores 5 %,
radius 2 um; Li6PS5Cl matrix; 10 MPa; discharge to xi = 0.3 in 3 steps; no
field output) with the box edge scaled to the particle count,

    L = (N (4/3) pi r^3 / 0.30)^(1/3),  r = 4 um,

so that a size N holds about N sulfur particles (the packing draws lognormal
radii until the volume fraction is met, so the count comes out within a few
of N; microstructure.json has the exact counts, reported here). Each size runs
on every rank count through ``benchmarks/instrumented_run.py`` under
``mpiexec``. Prints two tables (meshing, solver) and writes
``benchmarks/out/rve_scaling.csv`` and ``benchmarks/out/rve_scaling.png``
(time per Newton step and meshing time against the particle count). Every
run's folder (``summary.json``, ``instrumentation.json``,
``microstructure.json``, ``series.csv``) is kept under
``benchmarks/out/runs/rve<N>_np<ranks>_<try>/``.

Columns besides those of stack_scaling.py (see its docstring and
``bench_common.SOLVER_COLUMNS``):

* ``box_um``: box edge; ``active``, ``carbon``, ``pores``: particles per phase;
* ``mesh_s``: time in ``build_domain``, made of ``packing_s`` (random packing,
  every rank), ``draw_s`` (rank 0: OCC shapes, the boolean cut of the pores
  and fragment of the particles, physical groups, size fields), of which
  ``boolean_s`` is the OCC booleans, ``gmsh_s`` (rank 0: gmsh mesh
  generation), ``distribute_s`` (``model_to_mesh``: read the gmsh mesh on
  rank 0, partition, distribute) and ``analyse_s`` (every rank: microstructure
  metrics of the distributed mesh for microstructure.json);
* ``root_s``: the rank-0-only part (draw + gmsh), during which the other
  ranks wait; ``root_share`` = ``root_s / wall_s``;
* ``eff_mesh``: parallel efficiency of ``mesh_s``, next to ``eff_wall`` and
  ``eff_newton``;
* ``bg_during``: cores kept busy by other processes during the run, on
  average (``bg_cores`` is the load just before it). A run with either above
  ~0.3 shared the machine.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from bench_common import (
    EFFICIENCIES,
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
CASE = HERE / "cases" / "rve_3d.yaml"

DEFAULT_SIZES = "10,30,100"
ACTIVE_FRACTION = 0.30
MEAN_RADIUS_UM = 4.0
WARMUP = (10, ["geometry.mesh_size=6 um", "geometry.interface_mesh_size=3 um"])
"""The warm-up run: the 10-particle box meshed coarsely (same phases, same forms)."""

PHASES = ("active", "carbon", "pores")
MESH_PARTS = {  # column -> instrumented_run.py mesh phase
    "packing_s": "packing",
    "draw_s": "draw",
    "boolean_s": "occ_boolean",
    "gmsh_s": "generate",
    "analyse_s": "analyse",
    "distribute_s": "distribute",
    "root_s": "mesh_on_root",
}
COLUMNS = ["size", "ranks", "box_um", *PHASES]
for _column in SOLVER_COLUMNS:
    COLUMNS.append(_column)
    if _column == "mesh_s":
        COLUMNS += [*MESH_PARTS, "root_share"]
    if _column == "eff_newton":
        COLUMNS.append("eff_mesh")
    if _column == "bg_cores":
        COLUMNS.append("bg_during")
INTEGERS = {"size", "ranks", "dofs", "cells", "steps", "newton", "krylov", *PHASES}
EFFICIENCY = EFFICIENCIES | {"eff_mesh": "mesh_s"}
FORMATS = {"box_um": ".1f", "packing_s": ".2f", "draw_s": ".2f", "boolean_s": ".2f",
           "gmsh_s": ".1f", "analyse_s": ".2f", "distribute_s": ".2f", "root_s": ".1f", "root_share": ".2f"}

MESH_TABLE = [
    ("size", "N"), ("ranks", "ranks"), ("box_um", "box [um]"), ("active", "S"), ("carbon", "C"),
    ("pores", "pores"), ("cells", "cells"), ("dofs", "dofs"), ("packing_s", "packing [s]"),
    ("draw_s", "OCC draw [s]"), ("boolean_s", "of it booleans [s]"), ("gmsh_s", "gmsh mesh [s]"),
    ("analyse_s", "metrics [s]"), ("distribute_s", "distribute [s]"), ("mesh_s", "build_domain [s]"),
    ("setup_s", "setup [s]"), ("root_share", "rank-0 share of wall"), ("eff_mesh", "eff (mesh)"),
]
SOLVE_TABLE = [
    ("size", "N"), ("ranks", "ranks"), ("dofs", "dofs"), ("wall_s", "wall [s]"), ("setup_s", "setup [s]"),
    ("solve_s", "solve [s]"), ("newton", "Newton"), ("s_per_newton", "s/Newton"),
    ("krylov_per_newton", "Krylov/Newton"), ("jac_s_per_newton", "assembly s/Newton"),
    ("pcsetup_s_per_newton", "GAMG setup s/Newton"), ("ksp_s_per_newton", "CG s/Newton"),
    ("peak_rss_mb", "peak RSS [MB]"), ("rss_kb_per_dof", "RSS/dof [kB]"), ("eff_wall", "eff (wall)"),
    ("eff_newton", "eff (s/Newton)"), ("bg_cores", "busy cores before"),
    ("bg_during", "other busy cores during"), ("cpu_util", "CPU use"),
]


def box_um(particles: int) -> float:
    """Box edge (um) for about ``particles`` sulfur particles at the target fraction and mean radius."""
    return (particles * 4 / 3 * math.pi * MEAN_RADIUS_UM**3 / ACTIVE_FRACTION) ** (1 / 3)


def size_overrides(particles: int) -> list[str]:
    edge = f"{box_um(particles):.4g} um"
    return [f"geometry.size=[{edge}, {edge}, {edge}]"]


def row_of(raw: dict) -> dict:
    """The solver row of a run plus box, particle counts and the parts of the meshing time."""
    row = solver_row(raw)
    row["box_um"] = box_um(int(raw["size"]))
    if "summary" not in raw:
        return row
    counts = json.loads((raw["outdir"] / "microstructure.json").read_text())["particle_count"]
    row |= {phase: counts.get(phase, "") for phase in PHASES}
    phases = raw["inst"].get("mesh_phases_s") or {}
    row |= {column: phases.get(name) for column, name in MESH_PARTS.items()}
    if row["root_s"] is not None:
        row["root_share"] = row["root_s"] / row["wall_s"]
    return row


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    done = [r for r in rows if r.get("status") == "completed"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for ranks in sorted({r["ranks"] for r in done}):
        series = sorted((r for r in done if r["ranks"] == ranks), key=lambda r: r["active"])
        count = [r["active"] for r in series]
        label = f"{ranks} rank" + ("s" if ranks > 1 else "")
        line, = left.loglog(count, [r["s_per_newton"] for r in series], "o-", label=label)
        right.loglog(count, [r["mesh_s"] for r in series], "o-", color=line.get_color(),
                     label=f"build_domain, {label}")
        if ranks == 1:
            right.loglog(count, [r["gmsh_s"] for r in series], "s--", color=line.get_color(), mfc="none",
                         label="of it gmsh mesh generation (rank 0)")
    if done:
        base = min(done, key=lambda r: (r["ranks"], r["active"]))
        ref = [base["active"], max(r["active"] for r in done)]
        left.loglog(ref, [base["s_per_newton"] * n / base["active"] for n in ref], "k:", label="O(N)")
        right.loglog(ref, [base["mesh_s"] * n / base["active"] for n in ref], "k:", label="O(N)")
    left.set(xlabel="sulfur particles", ylabel="time per Newton step [s]",
             title="rve_3d: time per Newton step (CG + GAMG)")
    right.set(xlabel="sulfur particles", ylabel="time [s]", title="meshing time (build_domain)")
    for ax in (left, right):
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="small")
    fig.savefig(path, dpi=120)
    plt.close(fig)


def tables(rows: list[dict]) -> str:
    return "\n\n".join(markdown(rows, table, FORMATS) for table in (MESH_TABLE, SOLVE_TABLE))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES,
                        help=f"comma-separated sulfur particle counts (default: {DEFAULT_SIZES})")
    add_run_options(parser, "rve_scaling.csv")
    args = parser.parse_args(argv)

    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes takes particle counts, like {DEFAULT_SIZES}")
    if not sizes or min(sizes) < 1:
        parser.error("--sizes takes positive particle counts")
    ranks = [int(r) for r in args.ranks.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    csv_path, png_path = args.out / "rve_scaling.csv", args.out / "rve_scaling.png"

    if args.plot_only:
        rows = read_csv(csv_path, INTEGERS)
        plot(rows, png_path)
        print(tables(rows))
        return 0
    meta = metadata(args, box_um={n: round(box_um(n), 2) for n in sizes})
    (args.out / "rve_scaling.meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    if not args.no_warmup:
        print("warm-up (10 particles, coarse mesh, fills the form compilation cache) ...", flush=True)
        count, coarse = WARMUP
        warm = run_one(CASE, "warmup", size_overrides(count) + coarse, 1, args.out / "runs" / "rve_warmup",
                       args.timeout, args)
        if "summary" not in warm:
            print("warm-up run failed", file=sys.stderr)
            return 1

    configs = [(n, f"N = {n} (box {box_um(n):.4g} um)", size_overrides(n)) for n in sizes]
    rows = run_matrix(args, CASE, configs, ranks, row_of, COLUMNS, csv_path, FORMATS, EFFICIENCY,
                      prefix="rve")
    plot(rows, png_path)
    print()
    print(tables(rows))
    print(f"\nwrote {csv_path} and {png_path}")
    return 0 if all(r.get("status") == "completed" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
