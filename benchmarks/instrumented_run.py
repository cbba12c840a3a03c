"""Run one chemomech case with timing and memory instrumentation (benchmark helper).

    mpiexec -n R python benchmarks/instrumented_run.py CASE -o OUTDIR [--set key=value ...] [--mesh DIR]

Runs the case exactly as ``chemomech run`` does (``load_case_once``, ``run_case`` in
``start_up_frozen``, ``skip_exit_collection``; ``summary.json`` is written as usual)
and adds ``OUTDIR/instrumentation.json`` with what the run summary does not report:

* ``mesh_time_s``: time in ``case_domain`` (gmsh on rank 0 + distribution, or the read of a pre-meshed domain);
* ``setup_time_s``: time in ``build_simulation`` (mesh + model, everything
  before the first solve), measured here as a fallback for the summary's own;
* ``solve_time_s`` and ``solves``: wall time inside ``NewtonSolver.solve``,
  per nonlinear solve with its Newton and Krylov counts and rank 0's resident
  set size after it;
* ``petsc``: PETSc log events (SNESSolve, SNESJacobianEval, SNESFunctionEval,
  KSPSolve, PCSetUp, PCApply, MatMult), time as the max over ranks;
* ``mesh_phases_s``: the parts of ``build_domain``, each the max over ranks
  of the time a rank spent in it (null where it never ran): ``packing``
  (``rve.packing_of``, every rank), ``mesh_on_root`` (rank 0: draw, mesh
  and save the gmsh model while the other ranks wait), within it ``draw``
  (``rve._draw``: OCC shapes, booleans, physical groups, size fields),
  ``occ_boolean`` (``gmsh.model.occ`` fragment, cut, intersect and fuse,
  summed) and ``generate`` (``gmsh_model.generate``: gmsh meshing), then
  ``distribute`` (``dolfinx.io.gmsh.model_to_mesh``: reading the gmsh model
  on rank 0, partitioning and distributing the mesh and tags; for a mesh
  file or label image ``array_mesh.distribute_box``: making the arrays on
  rank 0, partitioning and distributing them, naming the facets on every
  rank, with no gmsh model) and
  ``analyse`` (``domain._analysed``: microstructure metrics of the
  distributed mesh, every rank);
* ``rss_peak_kb`` (per rank, ``getrusage`` max RSS at the end),
  ``rss_after_setup_kb`` (VmHWM once the problem is set up) and
  ``cpu_time_s`` (per rank, user + system, whole process).

The wrappers are installed from outside (attributes of chemomech's modules
are replaced in this process only); chemomech itself is not modified. A hook
whose target no longer exists is skipped and its figure reported as null.
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import sys
import time
from pathlib import Path

from chemomech.dolfinx_compat import MPI, PETSc  # noqa: I001  (sets up MPI first)

PETSC_EVENTS = (
    "SNESSolve",
    "SNESJacobianEval",
    "SNESFunctionEval",
    "KSPSolve",
    "PCSetUp",
    "PCApply",
    "MatMult",
)

MESH_PHASES = ("packing", "mesh_on_root", "draw", "occ_boolean", "generate", "analyse", "distribute")

timings: dict = {
    "mesh_time_s": None, "setup_time_s": None, "rss_after_setup_kb": None, "solves": [], "mesh_phases": {},
}


def _vm_kb(field: str = "VmHWM") -> int | None:
    """``VmHWM`` (peak resident set size so far) or ``VmRSS`` (now), in kB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _wrap(module, name: str, record):
    """Replace ``module.name`` by a timing wrapper calling ``record(elapsed, result)``."""
    original = getattr(module, name, None)
    if original is None:
        return False

    @functools.wraps(original)
    def timed(*args, **kwargs):
        start = time.perf_counter()
        result = original(*args, **kwargs)
        record(time.perf_counter() - start, result)
        return result

    setattr(module, name, timed)
    return True


def _install_hooks(meshing: bool) -> None:
    import chemomech.solve.newton as newton

    def mesh_done(elapsed, _):
        timings["mesh_time_s"] = elapsed

    def setup_done(elapsed, _):
        timings["setup_time_s"] = elapsed
        timings["rss_after_setup_kb"] = _vm_kb("VmHWM")

    def solve_done(elapsed, stats):
        timings["solves"].append(
            {
                "time_s": elapsed,
                "converged": bool(stats.converged),
                "newton_iterations": int(stats.newton_iterations),
                "krylov_iterations": int(stats.krylov_iterations),
                "rss_kb": _vm_kb("VmRSS"),
            }
        )

    import chemomech.solve.run as run
    import chemomech.solve.simulation as simulation

    # run_case -> build_simulation -> case_domain (meshes, or reads a pre-meshed domain)
    _wrap(simulation, "case_domain", mesh_done)
    _wrap(run, "build_simulation", setup_done)
    _wrap(newton.NewtonSolver, "solve", solve_done)
    if meshing:  # a pre-meshed run loads neither gmsh nor the geometry builders (their memory is not its own)
        _install_mesh_phase_hooks()


def _install_mesh_phase_hooks() -> None:
    """Time the parts of ``build_domain`` (see ``mesh_phases_s`` in the module docstring)."""
    import gmsh

    from chemomech.dolfinx_compat import dolfinx

    def phase(name):
        def record(elapsed, _):
            timings["mesh_phases"][name] = timings["mesh_phases"].get(name, 0.0) + elapsed

        return record

    try:
        from chemomech.geometry import array_mesh, domain, gmsh_model, rve
    except ImportError:
        return
    _wrap(array_mesh, "distribute_box", phase("distribute"))
    _wrap(rve, "packing_of", phase("packing"))
    _wrap(rve, "_draw", phase("draw"))
    _wrap(domain, "_analysed", phase("analyse"))
    _wrap(domain, "_mesh_on_root", phase("mesh_on_root"))
    _wrap(gmsh_model, "generate", phase("generate"))
    for operation in ("fragment", "cut", "intersect", "fuse"):
        _wrap(gmsh.model.occ, operation, phase("occ_boolean"))
    _wrap(dolfinx.io.gmsh, "model_to_mesh", phase("distribute"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--mesh", type=Path, help="a pre-meshed domain (chemomech mesh), as in chemomech run --mesh")
    args = parser.parse_args(argv)

    comm = MPI.COMM_WORLD
    PETSc.Log.begin()
    _install_hooks(meshing=args.mesh is None)
    from chemomech.case import load_case_once
    from chemomech.collector import skip_exit_collection, start_up_frozen
    from chemomech.geometry.premeshed import recorded_data_file
    from chemomech.solve.run import run_case

    skip_exit_collection()  # as the chemomech command does
    validated_file = recorded_data_file(args.mesh) if args.mesh is not None and comm.rank == 0 else None
    case = load_case_once(args.case, args.set, comm, validated_file)
    start = time.perf_counter()
    with start_up_frozen():
        summary = run_case(case, outdir=args.output, case_path=args.case, mesh_dir=args.mesh)
    wall = time.perf_counter() - start

    petsc = {}
    for name in PETSC_EVENTS:
        info = PETSc.Log.Event(name).getPerfInfo()
        petsc[name] = {
            "count": int(comm.allreduce(info["count"], op=MPI.MAX)),
            "time_s": comm.allreduce(info["time"], op=MPI.MAX),
        }
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss = comm.gather(usage.ru_maxrss, root=0)  # kB on Linux
    cpu = comm.gather(usage.ru_utime + usage.ru_stime, root=0)  # whole process, imports included
    after_setup = comm.gather(timings["rss_after_setup_kb"], root=0)
    phases = comm.gather(timings["mesh_phases"], root=0)

    def max_over_ranks(value):
        return None if value is None else comm.allreduce(value, op=MPI.MAX)

    solve_time = sum(s["time_s"] for s in timings["solves"])
    record = {
        "ranks": comm.size,
        "status": summary.get("status"),
        "wall_time_s": max_over_ranks(wall),
        "mesh_time_s": max_over_ranks(timings["mesh_time_s"]),
        "setup_time_s": max_over_ranks(timings["setup_time_s"]),
        "solve_time_s": max_over_ranks(solve_time),
        "mesh_phases_s": None if phases is None else {
            name: max((p[name] for p in phases if name in p), default=None) for name in MESH_PHASES
        },
        "solves": timings["solves"],  # rank 0's; counts are global, times nearly equal
        "petsc": petsc,
        "rss_peak_kb": rss,
        "rss_after_setup_kb": after_setup,
        "cpu_time_s": cpu,
    }
    if comm.rank == 0:
        (args.output / "instrumentation.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
