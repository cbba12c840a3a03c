"""Provenance recorded with every result: versions, ranks, host, time."""

import datetime
import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

PACKAGES = (
    "chemomech",
    "fenics-dolfinx",
    "dolfinx-solver-real",
    "fenics-basix",
    "fenics-ufl",
    "fenics-ffcx",
    "petsc4py",
    "mpi4py",
    "numpy",
    "gmsh",
    "pint",
    "pydantic",
    "h5py",
    "matplotlib",
    "pyvista",
    "vtk",
)


def package_versions() -> dict[str, str]:
    """Installed versions of the packages a result depends on."""
    versions = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    from chemomech.dolfinx_compat import MPI, PETSc, dolfinx

    versions["dolfinx"] = dolfinx.__version__
    versions["petsc"] = ".".join(str(v) for v in PETSc.Sys.getVersion())
    versions["mpi_library"] = MPI.Get_library_version().splitlines()[0].strip()
    return versions


def environment(comm) -> dict:
    """Where and how the run was made."""
    return {
        "ranks": comm.size,
        "host": platform.node(),
        "platform": platform.platform(),
        "command": " ".join(sys.argv),
        "started": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def write_json_atomic(path: Path, data: dict) -> None:
    """Write JSON through a temporary file and an atomic rename."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    os.replace(tmp, path)
