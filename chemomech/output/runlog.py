"""``run.log``: a plain-text log of the run, written by rank 0.

One line per converged step (as the progress line), the Newton residual
norms of that step, and every warning (cut-backs). Each line is flushed, so
the log of a killed job is complete up to the moment it died; a restarted
run appends to it.
"""

from pathlib import Path


class RunLog:
    """Append-only text log on rank 0; a no-op on the other ranks."""

    def __init__(self, path: Path, comm, *, append: bool = False):
        self._file = open(path, "a" if append else "w") if comm.rank == 0 else None  # noqa: SIM115

    def line(self, text: str) -> None:
        if self._file is not None:
            self._file.write(text + "\n")
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
