"""One value per cell in a mesh file's cell order: written in parallel, read without matching.

``dolfinx.io.XDMFFile.read_meshtags`` finds each tagged entity by its
vertices: every entity's vertex list goes to the ranks that own those
vertices and is matched there. For the cell tags of a 1.9M-cell mesh that
took 2.7 s on one process and 1.5 s on two (benchmarks/README.md, issue 9).
Cells need no matching: a mesh read from an XDMF file knows where each of
its local cells (owned and ghost) stands in the file's topology
(``topology.original_cell_index``), so for values stored in that order

    value of local cell c = values[original_cell_index[c]].

The values are kept in a NumPy ``.npy`` file (``int32``, one per cell). It
is written collectively: rank 0 writes the header, then each rank writes the
values of its owned cells at its first cell's position (MPI-IO,
``Write_at_all``), the order in which ``XDMFFile.write_mesh`` writes the
topology (the owned cells of each rank in turn). To read, each rank maps
one contiguous block of the file (block r of N) and asks the rank whose
block holds each of its cells for that value (two ``Alltoallv``): no rank
reads more than its block, whatever the partition.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from chemomech.dolfinx_compat import MPI

DTYPE = np.dtype("<i4")


def write_cell_values(path: Path, owned_values: np.ndarray, first_cell: int, cells: int, comm) -> None:
    """Write ``cells`` values to ``path`` (collective); this rank's ``owned_values`` go to
    positions ``first_cell`` onwards. Raises OSError on every rank if rank 0 cannot create it."""
    header_size, error = 0, None
    if comm.rank == 0:
        try:
            with open(path, "wb") as file:
                np.lib.format.write_array_header_1_0(
                    file, {"descr": DTYPE.str, "fortran_order": False, "shape": (cells,)})
                header_size = file.tell()
        except OSError as err:
            error = f"{path}: {err}"
    header_size, error = comm.bcast((header_size, error), root=0)
    if error is not None:
        raise OSError(error)
    handle = MPI.File.Open(comm, str(path), MPI.MODE_WRONLY)
    try:
        handle.Write_at_all(header_size + first_cell * DTYPE.itemsize, np.ascontiguousarray(owned_values, dtype=DTYPE))
    finally:
        handle.Close()


def read_cell_values(path: Path, mesh, cells: int) -> np.ndarray | None:
    """The values of ``mesh``'s local cells (owned, then ghosts) from ``path`` (collective);
    None on every rank where the file is missing or does not hold ``cells`` values."""
    comm = mesh.comm
    starts = np.array([cells * rank // comm.size for rank in range(comm.size + 1)], dtype=np.int64)
    try:
        values = np.load(path, mmap_mode="r")
        fits = values.shape == (cells,) and values.dtype == DTYPE
        block = np.array(values[starts[comm.rank] : starts[comm.rank + 1]]) if fits else None
        del values
    except (OSError, ValueError):
        block = None
    if not comm.allreduce(block is not None, op=MPI.LAND):
        return None
    return looked_up(block, starts, np.asarray(mesh.topology.original_cell_index, dtype=np.int64), comm)


def looked_up(block: np.ndarray, starts: np.ndarray, wanted: np.ndarray, comm) -> np.ndarray:
    """``values[wanted]`` of a distributed array of which each rank holds the ``block``
    ``values[starts[rank]:starts[rank + 1]]`` (collective)."""
    owners = np.searchsorted(starts, wanted, side="right") - 1
    by_owner = np.argsort(owners, kind="stable")
    asked = np.bincount(owners, minlength=comm.size).astype(np.int64)
    asking = np.empty_like(asked)
    comm.Alltoall(asked, asking)
    questions = np.empty(int(asking.sum()), dtype=np.int64)
    comm.Alltoallv([wanted[by_owner], asked], [questions, asking])
    answers = np.ascontiguousarray(block[questions - starts[comm.rank]])
    received = np.empty(wanted.size, dtype=block.dtype)
    comm.Alltoallv([answers, asking], [received, asked])
    values = np.empty_like(received)
    values[by_owner] = received
    return values
