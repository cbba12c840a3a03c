"""The one place that imports DOLFINx.

The PyPI wheel ``dolfinx-solver-real`` must be imported before ``dolfinx`` (it
loads the MPI library DOLFINx links against); conda and container installs of
DOLFINx have no such module, so the import is guarded.
"""

try:  # PyPI wheel: sets up MPI before dolfinx is imported
    import dolfinx_solver  # noqa: F401
except ImportError:  # conda / container DOLFINx
    pass

import dolfinx  # noqa: E402
import dolfinx.fem.petsc  # noqa: E402,F401
import dolfinx.io.gmsh  # noqa: E402,F401
from mpi4py import MPI  # noqa: E402
from petsc4py import PETSc  # noqa: E402

# Concurrent runs (sweeps) compile the same forms: wait for each other's
# compiles longer than DOLFINx's 10 s (see chemomech.form_cache).
_timeout_value, _timeout_help = dolfinx.jit.DOLFINX_DEFAULT_JIT_OPTIONS["timeout"]
dolfinx.jit.DOLFINX_DEFAULT_JIT_OPTIONS["timeout"] = (max(_timeout_value, 300), _timeout_help)

__all__ = ["MPI", "PETSc", "dolfinx"]
