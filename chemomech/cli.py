"""Command line: ``chemomech run|mesh|check|homogenize|plot|sweep|slurm|schema|materials``.

Exit codes: 0 success, 1 solver failure (or an unexpected error in serial),
2 invalid case or usage. Under ``mpiexec`` every rank validates the case and
exits alike; only rank 0 prints.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from chemomech.case import Case, CaseError, load_case_once
from chemomech.collector import skip_exit_collection, start_up_frozen
from chemomech.errors import GeometryError, PremeshedError, RestartError, SolverFailure


def _world():
    """MPI.COMM_WORLD, or None where mpi4py is not installed."""
    with contextlib.suppress(ImportError):  # the PyPI DOLFINx wheel sets up MPI first
        import dolfinx_solver  # noqa: F401
    try:
        from mpi4py import MPI
    except ImportError:
        return None
    return MPI.COMM_WORLD


def summary(case: Case) -> str:
    """One line describing a valid case."""
    geometry = case.geometry
    if geometry.type == "stack":
        shape = f"stack of {len(geometry.layers)} layers ({', '.join(geometry.regions())})"
    elif geometry.type in ("voxel", "mesh"):
        source = "voxel image" if geometry.type == "voxel" else "imported mesh"
        shape = f"{source} of {len(geometry.regions())} regions ({', '.join(geometry.regions())})"
    elif geometry.type == "inclusion":
        shape = "inclusion in a matrix"
    elif geometry.type == "particle":
        shape = f"free {geometry.material} particle"
    else:
        shape = f"{geometry.type} of {', '.join(geometry.regions())}"
    steps = len(case.lithiation.protocol)
    fixture = f", {case.fixture.type} fixture" if case.fixture else ""
    return (
        f"{case.name}: {geometry.dimension} {shape}{fixture}, "
        f"{steps} protocol step(s) x {case.lithiation.cycles} cycle(s)"
    )


def _load(args: argparse.Namespace, comm) -> Case | None:
    """The validated case, or None after rank 0 printed the problems.

    Rank 0 validates the file and sends the outcome to the other ranks
    (``load_case_once``), so every rank gets the same answer. With a
    pre-meshed domain (``--mesh``), a mesh file it was made from is not read
    again: the domain recorded what its validation found there.
    """
    validated_file = None
    if getattr(args, "mesh", None) is not None:
        # On every rank (the run needs DOLFINx anyway), not on rank 0 alone while the others wait.
        from chemomech.geometry.premeshed import recorded_data_file

        if comm is None or comm.rank == 0:
            validated_file = recorded_data_file(args.mesh)
    try:
        return load_case_once(args.case, args.set, comm, validated_file)
    except CaseError as err:
        if comm is None or comm.rank == 0:
            print(err, file=sys.stderr)
        return None


def _check(args: argparse.Namespace) -> int:
    comm = _world()
    rank = comm.rank if comm is not None else 0
    case = _load(args, comm)
    if case is None:
        return 2
    if rank == 0:
        print(f"ok: {summary(case)}")
    return 0


def _run(args: argparse.Namespace) -> int:
    comm = _world()
    rank, size = (comm.rank, comm.size) if comm is not None else (0, 1)
    case = _load(args, comm)
    if case is None:
        return 2
    outdir = args.output or args.restart or Path("results") / case.name
    try:
        from chemomech.solve.run import run_case

        with start_up_frozen():
            run_case(
                case,
                outdir=outdir,
                case_path=Path(args.case),
                progress=not args.quiet,
                restart=args.restart is not None,
                mesh_dir=args.mesh,
            )
    except SolverFailure as err:  # raised collectively
        if rank == 0:
            print(f"{args.case}: solver failure: {err}", file=sys.stderr)
        return 1
    except PremeshedError as err:  # raised collectively, before anything is written
        if rank == 0:
            print(f"{args.case}: --mesh {err}", file=sys.stderr)
        return 2
    except GeometryError as err:  # raised collectively, before anything is written
        if rank == 0:
            print(f"{args.case}: geometry: {err}", file=sys.stderr)
        return 2
    except RestartError as err:  # raised collectively, before anything is written
        if rank == 0:
            print(f"{args.case}: restart: {err}", file=sys.stderr)
        return 2
    except Exception as err:
        if size == 1:
            raise
        _report_crash(err, rank, outdir)
        comm.Abort(1)  # the other ranks may be waiting in a collective call
    return 0


def _mesh(args: argparse.Namespace) -> int:
    comm = _world()
    rank = comm.rank if comm is not None else 0
    case = _load(args, comm)
    if case is None:
        return 2
    from chemomech.geometry.premeshed import MESH_FILE, RECORD_FILE, mesh_case

    try:
        record = mesh_case(case, args.output, comm)
    except PremeshedError as err:  # raised collectively
        if rank == 0:
            print(f"{args.case}: -o {err}", file=sys.stderr)
        return 2
    except GeometryError as err:  # raised collectively
        if rank == 0:
            print(f"{args.case}: geometry: {err}", file=sys.stderr)
        return 2
    if rank == 0 and not args.quiet:
        print(
            f"wrote {args.output / MESH_FILE} and {RECORD_FILE}: {record['kind']}, {record['cells']} cells, "
            f"{record['nodes']} nodes, geometry fingerprint {record['fingerprint'][:12]}..."
        )
    return 0


def _homogenize(args: argparse.Namespace) -> int:
    comm = _world()
    rank = comm.rank if comm is not None else 0
    case = _load(args, comm)
    if case is None:
        return 2
    from chemomech.upscale.command import BOX_GEOMETRIES, homogenize_case

    if case.geometry.type not in BOX_GEOMETRIES:
        if rank == 0:
            print(f"{args.case}: homogenize needs a box geometry ({', '.join(BOX_GEOMETRIES)}), "
                  f"not {case.geometry.type!r}", file=sys.stderr)
        return 2
    outdir = args.output or Path("results") / f"{case.name}_homogenized"
    try:
        homogenize_case(
            case, outdir, args.xi, announce=(lambda _: None) if args.quiet else print, mesh_dir=args.mesh
        )
    except SolverFailure as err:  # raised collectively
        if rank == 0:
            print(f"{args.case}: solver failure: {err}", file=sys.stderr)
        return 1
    except PremeshedError as err:
        if rank == 0:
            print(f"{args.case}: --mesh {err}", file=sys.stderr)
        return 2
    except GeometryError as err:
        if rank == 0:
            print(f"{args.case}: geometry: {err}", file=sys.stderr)
        return 2
    if rank == 0 and not args.quiet:
        print(f"wrote {outdir / 'homogenized.csv'}")
    return 0


def _xi_list(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        values = ()
    if not values or any(not 0.0 <= v <= 1.0 for v in values):
        raise argparse.ArgumentTypeError(f"expected comma-separated lithiation values in [0, 1], got {text!r}")
    return values


def _report_crash(err: Exception, rank: int, outdir: Path) -> None:
    """One line on stderr for an error on this rank alone; the traceback goes to a file.

    The file is ``OUTDIR/crash-rank<r>.log`` when the output directory exists
    (else the traceback goes to stderr too).
    """
    trace = traceback.format_exc()
    line = f"chemomech run: error on rank {rank}: {type(err).__name__}: {err}; stopping all ranks"
    log = outdir / f"crash-rank{rank}.log"
    try:
        log.write_text(trace)
        line += f" (traceback in {log})"
    except OSError:
        line += "\n" + trace
    print(line, file=sys.stderr, flush=True)


def _plot(args: argparse.Namespace) -> int:
    if not (args.outdir / "series.csv").is_file():
        print(f"{args.outdir}: no series.csv here; expected the output directory of a run", file=sys.stderr)
        return 2
    from chemomech.output.figures import write_figures
    from chemomech.output.report import write_report
    from chemomech.output.snapshots import draw_snapshots

    snapshots, problems = draw_snapshots(args.outdir)
    for path in [*write_figures(args.outdir), *snapshots]:
        print(path)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    if (args.outdir / "summary.json").is_file():
        print(write_report(args.outdir))
    return 1 if problems else 0


def _sweep(args: argparse.Namespace) -> int:
    comm = _world()
    if comm is not None and comm.size > 1:
        if comm.rank == 0:
            print(
                "chemomech sweep: run the sweep itself without mpiexec; it starts each run, "
                "on --np ranks with mpiexec",
                file=sys.stderr,
            )
        return 2
    from chemomech.sweep.command import sweep

    return sweep(args)


def _slurm(args: argparse.Namespace) -> int:
    from chemomech.jobs.command import slurm

    return slurm(args)


def _positive(text: str) -> int:
    value = int(text) if text.strip().isdigit() else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def _schema(args: argparse.Namespace) -> int:
    from chemomech.case.field_docs import documented_json_schema

    print(json.dumps(documented_json_schema(Case), indent=2))
    return 0


def _materials(args: argparse.Namespace) -> int:
    from chemomech.materials import default_library
    from chemomech.materials.inelastic import compaction_defaults
    from chemomech.materials.library import inelastic_library

    header = ("material", "property", "value", "unit", "source", "confidence")
    properties = [*default_library().properties(), *inelastic_library().properties()]
    rows = [(p.material, p.name, p.written, p.unit, p.source, p.confidence) for p in properties]
    for name, unit, scale in (("heckel_slope", "1/MPa", 1e6), ("heckel_intercept", "-", 1.0)):
        value, source = compaction_defaults()[name]  # Heckel's law fitted to the curve named in inelastic.csv
        rows.append(("sulfide_powder", name, f"{value * scale:.4g}", unit, source.rsplit(" [", 1)[0], "computed"))
    if args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerows([header, *rows])
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(*header, title="chemomech material library (materials.csv, supplement.csv, inelastic.csv)")
    for row in rows:
        table.add_row(*row)
    Console().print(table)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chemomech", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    overrides = argparse.ArgumentParser(add_help=False)
    overrides.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override a case value (repeatable)"
    )

    run = commands.add_parser("run", parents=[overrides], help="validate and run a case")
    run.add_argument("case", type=Path, metavar="CASE")
    where = run.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", type=Path, metavar="OUTDIR", help="default: results/<case name>")
    where.add_argument(
        "--restart", type=Path, metavar="OUTDIR", help="continue a stopped run from the last checkpoint in OUTDIR"
    )
    run.add_argument(
        "--mesh", type=Path, metavar="DIR", help="read the domain written by chemomech mesh to DIR instead of meshing"
    )
    run.add_argument("-q", "--quiet", action="store_true", help="no progress lines (batch jobs)")
    run.set_defaults(command=_run)

    mesh = commands.add_parser(
        "mesh",
        parents=[overrides],
        help="mesh a case's geometry once, for runs that read it in parallel (run --mesh DIR)",
        description=(
            "Build the domain of CASE as chemomech run does (gmsh on rank 0) and write DIR/domain.xdmf and "
            "domain.h5 (mesh, cell and facet tags) and DIR/domain.json (names, dimensions, microstructure "
            "metrics, geometry fingerprint). chemomech run CASE --mesh DIR then reads it on all ranks; it refuses "
            "a DIR meshed from another geometry."
        ),
    )
    mesh.add_argument("case", type=Path, metavar="CASE")
    mesh.add_argument("-o", "--output", type=Path, required=True, metavar="DIR", help="directory to write")
    mesh.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    mesh.set_defaults(command=_mesh)

    check = commands.add_parser("check", parents=[overrides], help="validate a case without running it")
    check.add_argument("case", type=Path, metavar="CASE")
    check.set_defaults(command=_check)

    homogenize = commands.add_parser(
        "homogenize",
        parents=[overrides],
        help="apparent stiffness and swelling of an RVE case versus lithiation, as a table for cell cases",
        description=(
            "Load the box-shaped microstructure of CASE (geometry rve, voxel or mesh) by unit macroscopic strains "
            "(uniform displacement) and stresses (uniform traction) at each lithiation in --xi, linearised about "
            "the fabricated state, and write OUTDIR/homogenized.csv (isotropic K, G, E, nu, swelling strain and "
            "the Hashin-Shtrikman bounds per xi and boundary condition) and homogenized.json (full tensors)."
        ),
    )
    homogenize.add_argument("case", type=Path, metavar="CASE")
    homogenize.add_argument("-o", "--output", type=Path, metavar="OUTDIR", help="default: results/<case>_homogenized")
    homogenize.add_argument(
        "--xi", type=_xi_list, default=(0.0, 0.25, 0.5, 0.75, 1.0), metavar="XI1,XI2,...",
        help="lithiation values (default 0,0.25,0.5,0.75,1)",
    )
    homogenize.add_argument(
        "--mesh", type=Path, metavar="DIR", help="read the RVE written by chemomech mesh to DIR instead of meshing"
    )
    homogenize.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    homogenize.set_defaults(command=_homogenize)

    sweep = commands.add_parser(
        "sweep",
        parents=[overrides],
        help="run a case over the cartesian product of parameter values and compare the runs",
        description=(
            "Run CASE once per combination of --param values (each run is chemomech run CASE --set KEY=VALUE ...), "
            "here or as a SLURM array job, then write SWEEP_OUT/summary.csv (one row per run: parameters, status, "
            "key outputs) and comparison figures in SWEEP_OUT/figures. Every run is validated before any starts."
        ),
    )
    sweep.add_argument("case", type=Path, nargs="?", metavar="CASE")
    sweep.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="a --set key and its values, split at commas outside brackets and quotes (repeatable: cartesian product)",
    )
    sweep.add_argument("-o", "--output", type=Path, metavar="SWEEP_OUT", help="default: results/<case name>_sweep")
    sweep.add_argument("--jobs", type=_positive, metavar="N", help="runs at a time, locally (default 1)")
    sweep.add_argument("--np", type=_positive, default=1, metavar="K", help="MPI ranks per run (default 1)")
    sweep.add_argument(
        "--slurm", action="store_true", help="write SWEEP_OUT/sweep.slurm (an array job) instead of running"
    )
    sweep.add_argument("--time", metavar="HH:MM:SS", help="SLURM time limit per run (default 01:00:00)")
    sweep.add_argument("--partition", help="SLURM partition")
    sweep.add_argument("--account", help="SLURM account")
    sweep.add_argument(
        "--collect", type=Path, metavar="SWEEP_OUT", help="rebuild summary.csv and figures from the runs' files"
    )
    sweep.set_defaults(command=_sweep)

    slurm = commands.add_parser(
        "slurm",
        parents=[overrides],
        help="write a SLURM job script that runs a case (here or in a container image)",
        description=(
            "Validate CASE and write a SLURM job script that runs it on NODES x RANKS_PER_NODE MPI ranks into "
            "OUTDIR: with this installation (srun), or with --container in an Apptainer image, one container per "
            "rank started by srun (--mpi hybrid, the host's MPI) or mpiexec inside one container (--mpi image, one "
            "node). The job has a private form-compiler cache and is requeued after a node failure; a requeued job "
            "continues from the last checkpoint in OUTDIR."
        ),
    )
    slurm.add_argument("case", type=Path, metavar="CASE")
    slurm.add_argument("--nodes", type=_positive, default=1, metavar="N", help="nodes (default 1)")
    slurm.add_argument(
        "--ranks-per-node", type=_positive, required=True, metavar="M", help="MPI ranks per node"
    )
    slurm.add_argument("--container", metavar="IMAGE", help="Apptainer image (.sif file or docker://...)")
    slurm.add_argument(
        "--mpi",
        choices=("hybrid", "image"),
        help="with --container: hybrid, srun starts a container per rank (default); image, mpiexec in the container",
    )
    slurm.add_argument("-o", "--output", type=Path, metavar="OUTDIR", help="default: results/<case name>")
    slurm.add_argument("--script", type=Path, metavar="PATH", help="default: OUTDIR/job.slurm")
    slurm.add_argument(
        "--mesh", type=Path, metavar="DIR", help="run on the domain written by chemomech mesh to DIR (no meshing)"
    )
    slurm.add_argument("--time", default="01:00:00", metavar="HH:MM:SS", help="time limit (default 01:00:00)")
    slurm.add_argument("--partition", help="SLURM partition")
    slurm.add_argument("--account", help="SLURM account")
    slurm.set_defaults(command=_slurm)

    commands.add_parser("schema", help="print the JSON Schema of case files").set_defaults(command=_schema)

    plot = commands.add_parser("plot", help="redraw the figures and report of a run from its saved results")
    plot.add_argument("outdir", type=Path, metavar="OUTDIR")
    plot.set_defaults(command=_plot)

    materials = commands.add_parser("materials", help="list the built-in material library")
    materials.add_argument("--csv", action="store_true", help="plain CSV instead of a table")
    materials.set_defaults(command=_materials)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``chemomech`` command; returns the exit code."""
    skip_exit_collection()
    args = _parser().parse_args(argv)
    return args.command(args)
