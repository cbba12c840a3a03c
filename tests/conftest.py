"""Shared test fixtures; the suite also runs under ``mpiexec -n 2``.

Under MPI each rank is a separate pytest process: the ranks get their own
pytest base temporary directory, and ``mpi_tmp_path`` gives every rank the
same directory (rank 0's) for collective output. Collective PETSc objects
are destroyed in step on all ranks after each test.
"""

import gc
import os
import tempfile

import pytest

try:
    from chemomech.dolfinx_compat import MPI
except ImportError:  # pure-Python tests still run without DOLFINx
    MPI = None


def pytest_configure(config):
    if MPI is not None and MPI.COMM_WORLD.size > 1 and not config.option.basetemp:
        root = tempfile.gettempdir()
        config.option.basetemp = os.path.join(root, f"chemomech-pytest-{os.getpid()}-rank{MPI.COMM_WORLD.rank}")


@pytest.fixture
def mpi_tmp_path(tmp_path):
    """A directory shared by all ranks (rank 0's tmp_path)."""
    if MPI is None:
        return tmp_path
    return type(tmp_path)(MPI.COMM_WORLD.bcast(str(tmp_path), root=0))


@pytest.fixture(autouse=True)
def _collective_teardown():
    yield
    gc.collect()
    if MPI is not None:
        MPI.COMM_WORLD.barrier()
