"""The Functions that make up the state of a run, saved and read back by position.

A checkpoint must be readable on any number of ranks, where the same mesh is
partitioned and numbered differently. Every degree of freedom is therefore
stored with a key that names it independently of the partition:

* continuous spaces (Lagrange): the coordinates x of its node;
* cell-wise spaces (DG, quadrature elements, where no node is shared between
  cells): (x, x_c), the node and the midpoint of its cell, since nodes of
  neighbouring cells may coincide.

Blocked (vector, tensor) spaces store one row of ``bs`` values per node.
``save`` gathers the owned rows on rank 0 into one ``.npz`` (written through a
temporary file and an atomic rename); ``load`` reads it on rank 0, broadcasts
it, and every rank matches its local nodes to the stored keys by a k-d tree
within a tolerance of 1e-8 of the domain's diameter. A node without exactly
one stored key within the tolerance (another mesh or space) raises a
``StateMismatch`` on every rank.
"""

import os
from pathlib import Path

import numpy as np

from chemomech.dolfinx_compat import MPI

MATCH_TOLERANCE = 1e-8  # relative to the diameter of the stored node cloud


class StateMismatch(Exception):
    """Stored state does not fit the Functions it is read into; raised on every rank."""


def _cellwise(space) -> bool:
    """True where no node is shared between cells (DG, quadrature), on any rank."""
    cell_dofs = space.dofmap.list
    shared = np.unique(cell_dofs).size < cell_dofs.size
    return not space.mesh.comm.allreduce(shared, op=MPI.LOR)


def node_keys(space) -> np.ndarray:
    """Partition-independent key of every local node (owned and ghost) of ``space``."""
    mesh = space.mesh
    gdim = mesh.geometry.dim
    points = space.tabulate_dof_coordinates()[:, :gdim]
    if not _cellwise(space):
        return points
    cell_dofs = space.dofmap.list
    midpoints = mesh.geometry.x[mesh.geometry.dofmaps[0], :gdim].mean(axis=1)
    cell_of = np.empty(points.shape[0], dtype=np.int64)
    cell_of[cell_dofs.ravel()] = np.repeat(np.arange(cell_dofs.shape[0]), cell_dofs.shape[1])
    return np.hstack([points, midpoints[cell_of]])


class StateRegistry:
    """Named Functions saved to and restored from one ``.npz`` file."""

    def __init__(self):
        self.functions = {}

    def add(self, name: str, function) -> None:
        """Register ``function`` under ``name`` (unique; any point-evaluation space)."""
        if name in self.functions:
            raise ValueError(f"state {name!r} is registered twice")
        self.functions[name] = function

    def save(self, path: Path, comm) -> None:
        """Write every Function to ``path`` (collective; rank 0 writes)."""
        arrays = {}
        for name, function in self.functions.items():
            space = function.function_space
            owned = space.dofmap.index_map.size_local
            bs = space.dofmap.index_map_bs
            keys = node_keys(space)[:owned]
            values = function.x.array[: owned * bs].reshape(owned, bs)
            gathered = comm.gather((keys, values), root=0)
            if comm.rank == 0:
                arrays[f"{name}/keys"] = np.concatenate([k for k, _ in gathered])
                arrays[f"{name}/values"] = np.concatenate([v for _, v in gathered])
        if comm.rank == 0:
            path = Path(path)
            tmp = path.with_name(path.name + ".tmp")
            with open(tmp, "wb") as handle:
                np.savez(handle, **arrays)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)

    def load(self, path: Path, comm) -> None:
        """Read every registered Function back from ``path`` (collective)."""
        stored = None
        if comm.rank == 0:
            try:
                with np.load(path) as data:
                    stored = {key: data[key] for key in data.files}
            except Exception as err:  # noqa: BLE001 - must reach every rank, not end rank 0 alone
                stored = f"{path}: cannot be read ({err})"
        stored = comm.bcast(stored, root=0)
        if isinstance(stored, str):
            raise StateMismatch(stored)
        problems = []
        for name, function in self.functions.items():
            if f"{name}/keys" not in stored:
                problems.append(f"{name}: not in the checkpoint")
                continue
            problem = _fill(function, stored[f"{name}/keys"], stored[f"{name}/values"])
            unmatched, ambiguous = comm.allreduce(np.array(problem if isinstance(problem, tuple) else (0, 0)))
            if isinstance(problem, str):
                problems.append(f"{name}: {problem}")
            elif unmatched or ambiguous:
                problems.append(f"{name}: {unmatched} node(s) not in the checkpoint, {ambiguous} ambiguous")
        if problems:
            raise StateMismatch("; ".join(problems))


def _fill(function, keys: np.ndarray, values: np.ndarray) -> str | tuple[int, int]:
    """Fill ``function`` from stored (keys, values).

    Returns the numbers of owned nodes with no stored key and with more than
    one within the tolerance (the Function is filled only if no local node
    has either), or why the stored data cannot fit at all.
    """
    space = function.function_space
    bs = space.dofmap.index_map_bs
    local = node_keys(space)
    if keys.shape[1] != local.shape[1] or values.shape[1] != bs:
        return f"stored for another kind of space ({keys.shape[1]} coordinates and {values.shape[1]} values per node)"
    tolerance = MATCH_TOLERANCE * max(float(np.ptp(keys, axis=0).max(initial=0.0)), 1.0e-300)
    from scipy.spatial import cKDTree  # only a restart needs it (1.5 s to import)

    distance, index = cKDTree(keys).query(local, k=min(2, len(keys)), distance_upper_bound=tolerance)
    distance, index = distance.reshape(len(local), -1), index.reshape(len(local), -1)
    missing = ~np.isfinite(distance[:, 0])
    doubled = np.isfinite(distance[:, 1:]).any(axis=1)
    if not (missing.any() or doubled.any()):
        function.x.array[:] = values[index[:, 0]].ravel()
    owned = space.dofmap.index_map.size_local  # ghosts are counted by their owners
    return int(np.count_nonzero(missing[:owned])), int(np.count_nonzero(doubled[:owned]))
