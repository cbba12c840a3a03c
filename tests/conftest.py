"""Shared test fixtures; the suite also runs under ``mpiexec -n 2``.

Under MPI each rank is a separate pytest process: the ranks get their own
pytest base temporary directory, and ``mpi_tmp_path`` gives every rank the
same directory (rank 0's) for collective output. Only rank 0 reports to the
terminal; the other ranks write their report to
``$TMPDIR/chemomech-pytest-rank<r>.log`` (the Makefile shows it when the run
fails). Collective PETSc objects are destroyed in step on all ranks after
each test.

Tests marked ``long`` (over about a minute each) are left out unless pytest
runs with ``--long`` (``make test-long``).
"""

import gc
import os
import tempfile

import pytest
from _pytest.config import create_terminal_writer

try:
    from chemomech.dolfinx_compat import MPI
except ImportError:  # pure-Python tests still run without DOLFINx
    MPI = None


def pytest_addoption(parser):
    parser.addoption("--long", action="store_true", help="also run the tests marked long")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--long"):
        return
    long = [item for item in items if item.get_closest_marker("long")]
    if long:
        config.hook.pytest_deselected(items=long)
        items[:] = [item for item in items if not item.get_closest_marker("long")]


@pytest.hookimpl(trylast=True)  # after the terminal reporter is registered
def pytest_configure(config):
    if MPI is None or MPI.COMM_WORLD.size == 1:
        return
    rank, root = MPI.COMM_WORLD.rank, tempfile.gettempdir()
    if not config.option.basetemp:
        config.option.basetemp = os.path.join(root, f"chemomech-pytest-{os.getpid()}-rank{rank}")
    if rank > 0:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        log = open(os.path.join(root, f"chemomech-pytest-rank{rank}.log"), "w")  # noqa: SIM115
        config.add_cleanup(log.close)
        reporter._tw = create_terminal_writer(config, log)


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
