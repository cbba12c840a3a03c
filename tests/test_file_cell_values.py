"""Rows of values by cell in a mesh file's order (chemomech.geometry.file_cell_values), on 1 and
2 ranks: the distributed look-up returns rows[wanted] whoever holds them, and a file written
collectively hands every local cell (owned and ghost) the row of its cell in the file."""

import numpy as np

from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.geometry.file_cell_values import looked_up, read_cell_rows, write_cell_rows


def _value_at(midpoints: np.ndarray) -> np.ndarray:
    """A value from a cell's midpoint alone: on the 6 x 5 x 4 cube the midpoints' coordinates
    are whole multiples of 1/240."""
    steps = np.rint(midpoints * 240).astype(np.int64)
    return (steps @ [241 * 241, 241, 1]).astype(np.int32)


def test_look_up_of_a_distributed_array_returns_the_rows_wanted():
    comm = MPI.COMM_WORLD
    values = (np.arange(3000, dtype=np.int32) * 7 - 300).reshape(1000, 3)  # the whole array, known here to check
    starts = np.array([1000 * rank // comm.size for rank in range(comm.size + 1)], dtype=np.int64)
    wanted = np.random.default_rng(comm.rank).integers(0, 1000, size=257 + 31 * comm.rank)
    block = values[starts[comm.rank] : starts[comm.rank + 1]]
    np.testing.assert_array_equal(looked_up(block, starts, wanted, comm), values[wanted])


def test_rows_written_by_the_owners_are_read_for_every_local_cell(mpi_tmp_path):
    comm = MPI.COMM_WORLD
    mesh = dolfinx.mesh.create_unit_cube(comm, 6, 5, 4, ghost_mode=dolfinx.mesh.GhostMode.shared_facet)
    cells = mesh.topology.index_map(3)
    local = cells.size_local + cells.num_ghosts
    midpoints = dolfinx.mesh.compute_midpoints(mesh, 3, np.arange(local, dtype=np.int32))
    row_at = np.column_stack([_value_at(midpoints), -_value_at(midpoints)])
    path = mpi_tmp_path / "cell_values.npy"
    write_cell_rows(path, row_at[: cells.size_local], cells.local_range[0], cells.size_global, comm)
    assert np.load(path).shape == (cells.size_global, 2)
    written = np.concatenate(comm.allgather(row_at[: cells.size_local]))
    np.testing.assert_array_equal(np.sort(np.load(path), axis=0), np.sort(written, axis=0))
    with dolfinx.io.XDMFFile(comm, mpi_tmp_path / "mesh.xdmf", "w") as xdmf:
        xdmf.write_mesh(mesh)
    with dolfinx.io.XDMFFile(comm, mpi_tmp_path / "mesh.xdmf", "r") as xdmf:
        read = xdmf.read_mesh(ghost_mode=dolfinx.mesh.GhostMode.shared_facet)
    read_cells = read.topology.index_map(3)
    read_midpoints = dolfinx.mesh.compute_midpoints(
        read, 3, np.arange(read_cells.size_local + read_cells.num_ghosts, dtype=np.int32))
    expected = np.column_stack([_value_at(read_midpoints), -_value_at(read_midpoints)])
    np.testing.assert_array_equal(read_cell_rows(path, read, cells.size_global), expected)


def test_a_missing_file_or_one_of_another_size_gives_none_on_every_rank(mpi_tmp_path):
    comm = MPI.COMM_WORLD
    mesh = dolfinx.mesh.create_unit_cube(comm, 2, 2, 2)
    cells = mesh.topology.index_map(3)
    assert read_cell_rows(mpi_tmp_path / "missing.npy", mesh, cells.size_global) is None
    path = mpi_tmp_path / "short.npy"
    zeros = np.zeros((cells.size_local, 1), dtype=np.int32)
    write_cell_rows(path, zeros, cells.local_range[0], cells.size_global, comm)
    assert read_cell_rows(path, mesh, cells.size_global + 1) is None
