"""Time to mesh a case's domain (gmsh on rank 0 + distribution) against reading it pre-meshed.

    mpiexec -n N .venv/bin/python benchmarks/premesh_timing.py [CASE] [--set key=value ...] [--repeat 3]

On the ranks it is started on: ``build_domain`` (what every run does
without ``--mesh``: packing, gmsh on rank 0, ``model_to_mesh``), then
``write_domain`` into a temporary directory (what ``chemomech mesh`` adds),
then ``read_domain`` (what ``chemomech run --mesh DIR`` does instead of
meshing), ``--repeat`` times; each time is the slowest rank's. Prints one
JSON line: ranks, cells, and the minimum and all times per phase, in seconds.
Default CASE: benchmarks/cases/rve_3d.yaml (about 30 sulfur particles).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from chemomech.case import load_case_once
from chemomech.dolfinx_compat import MPI
from chemomech.geometry import build_domain
from chemomech.geometry.premeshed import geometry_fingerprint, read_domain, write_domain

DEFAULT_CASE = Path(__file__).parent / "cases" / "rve_3d.yaml"


def _timed(comm, action):
    """(result, the slowest rank's wall time) of ``action()``."""
    comm.barrier()
    start = time.perf_counter()
    result = action()
    return result, comm.allreduce(time.perf_counter() - start, op=MPI.MAX)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", type=Path, nargs="?", default=DEFAULT_CASE)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    comm = MPI.COMM_WORLD
    geometry = load_case_once(args.case, args.set, comm).geometry
    fingerprint = geometry_fingerprint(geometry)
    folder = comm.bcast(tempfile.mkdtemp(prefix="premesh-") if comm.rank == 0 else None, root=0)
    times: dict[str, list[float]] = {"build_domain": [], "write_domain": [], "read_domain": []}
    for _ in range(args.repeat):
        domain, seconds = _timed(comm, lambda: build_domain(geometry, comm))
        times["build_domain"].append(seconds)
        times["write_domain"].append(_timed(comm, lambda: write_domain(domain, folder, fingerprint, comm))[1])
        read, seconds = _timed(comm, lambda: read_domain(folder, fingerprint, comm))
        times["read_domain"].append(seconds)
    cells = read.mesh.topology.index_map(read.mesh.topology.dim).size_global
    comm.barrier()
    if comm.rank == 0:
        shutil.rmtree(folder)
        summary = {"case": str(args.case), "set": args.set, "ranks": comm.size, "cells": cells}
        summary |= {f"{phase}_min_s": round(min(values), 3) for phase, values in times.items()}
        summary |= {f"{phase}_s": [round(v, 3) for v in values] for phase, values in times.items()}
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
