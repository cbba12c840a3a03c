"""Values by cell in a mesh file's cell order: written in parallel, read without matching.

``dolfinx.io.XDMFFile.read_meshtags`` finds each tagged entity by its
vertices: every entity's vertex list goes to the ranks that own those
vertices and is matched there. For the cell tags of a 1.9M-cell mesh that
took 2.7 s on one process and 1.5 s on two, for its facet tags 1.4 and
0.8 s (benchmarks/README.md, issue 9). A mesh read from an XDMF file knows
where each of its local cells (owned and ghost) stands in the file's
topology (``topology.original_cell_index``), so for a row of values per
cell stored in that order

    row of local cell c = rows[original_cell_index[c]].

The rows are kept in a NumPy ``.npy`` file (``int32``, shape (cells,
width)). It is written collectively: rank 0 writes the header, then each
rank writes the rows of its owned cells at its first cell's position
(MPI-IO, ``Write_at_all``), the order in which ``XDMFFile.write_mesh``
writes the topology (the owned cells of each rank in turn). To read, each
rank maps one contiguous block of rows (block r of N) and asks the rank
whose block holds each of its cells for that row (two ``Alltoallv``): no
rank reads more than its block, whatever the partition.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from chemomech.dolfinx_compat import MPI

DTYPE = np.dtype("<i4")


def write_cell_rows(path: Path, owned_rows: np.ndarray, first_cell: int, cells: int, comm) -> None:
    """Write ``cells`` rows to ``path`` (collective); this rank's ``owned_rows`` (one per
    owned cell, (owned cells, width), the same width on every rank) go to rows
    ``first_cell`` onwards. Raises OSError on every rank if rank 0 cannot create the file."""
    owned_rows = np.ascontiguousarray(owned_rows, dtype=DTYPE)
    width = owned_rows.shape[1]
    header_size, error = 0, None
    if comm.rank == 0:
        try:
            with open(path, "wb") as file:
                np.lib.format.write_array_header_1_0(
                    file, {"descr": DTYPE.str, "fortran_order": False, "shape": (cells, width)})
                header_size = file.tell()
        except OSError as err:
            error = f"{path}: {err}"
    header_size, error = comm.bcast((header_size, error), root=0)
    if error is not None:
        raise OSError(error)
    handle = MPI.File.Open(comm, str(path), MPI.MODE_WRONLY)
    try:
        handle.Write_at_all(header_size + first_cell * width * DTYPE.itemsize, owned_rows)
    finally:
        handle.Close()


def read_cell_rows(path: Path, mesh, cells: int) -> np.ndarray | None:
    """The rows of ``mesh``'s local cells (owned, then ghosts) from ``path``, (local cells,
    width) (collective); None on every rank where the file is missing or does not hold
    ``cells`` rows."""
    comm = mesh.comm
    starts = np.array([cells * rank // comm.size for rank in range(comm.size + 1)], dtype=np.int64)
    try:
        rows = np.load(path, mmap_mode="r")
        fits = rows.ndim == 2 and rows.shape[0] == cells and rows.dtype == DTYPE
        block = np.array(rows[starts[comm.rank] : starts[comm.rank + 1]]) if fits else None
        del rows
    except (OSError, ValueError):
        block = None
    if not comm.allreduce(block is not None, op=MPI.LAND):
        return None
    return looked_up(block, starts, np.asarray(mesh.topology.original_cell_index, dtype=np.int64), comm)


def looked_up(block: np.ndarray, starts: np.ndarray, wanted: np.ndarray, comm) -> np.ndarray:
    """``rows[wanted]`` of a distributed array of which each rank holds the ``block``
    ``rows[starts[rank]:starts[rank + 1]]`` (collective)."""
    owners = np.searchsorted(starts, wanted, side="right") - 1
    by_owner = np.argsort(owners, kind="stable")
    asked = np.bincount(owners, minlength=comm.size).astype(np.int64)
    asking = np.empty_like(asked)
    comm.Alltoall(asked, asking)
    questions = np.empty(int(asking.sum()), dtype=np.int64)
    comm.Alltoallv([wanted[by_owner], asked], [questions, asking])
    answers = np.ascontiguousarray(block[questions - starts[comm.rank]])
    received = np.empty((wanted.size, *block.shape[1:]), dtype=block.dtype)
    width = int(np.prod(block.shape[1:], dtype=np.int64))
    comm.Alltoallv([answers, asking * width], [received, asked * width])
    rows = np.empty_like(received)
    rows[by_owner] = received
    return rows
