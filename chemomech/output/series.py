"""``series.csv``: one row per converged step, units in every column name.

Written by rank 0 only; each row is flushed and synced, so a run killed at
any moment leaves every earlier row readable (a row cut off by the kill has
no line end, and readers drop it). A restarted run keeps the rows up to its
checkpoint and appends after them.
"""

import csv
import os
from pathlib import Path


def complete_lines(path: Path) -> list[str]:
    """The lines of a text file that end in a newline (a final partial line is dropped)."""
    with open(path, newline="") as handle:
        lines = handle.read().splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines.pop()
    return lines


class SeriesWriter:
    """Append-only CSV whose columns are fixed by the first row.

    With ``keep_rows`` = n the existing file is cut back to its header and
    first n rows (atomically), and new rows are appended after them.
    """

    def __init__(self, path: Path, comm, *, keep_rows: int | None = None):
        self.path = Path(path)
        self._rank0 = comm.rank == 0
        self._file = None
        self._writer = None
        if not self._rank0:
            return
        if keep_rows is None:
            self._file = open(self.path, "w", newline="")  # noqa: SIM115
            return
        lines = complete_lines(self.path)[: keep_rows + 1]
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w", newline="") as handle:
            handle.writelines(lines)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
        self._file = open(self.path, "a", newline="")  # noqa: SIM115
        self._writer = csv.DictWriter(self._file, fieldnames=next(csv.reader(lines[:1])))

    def write(self, row: dict[str, float]) -> None:
        if not self._rank0:
            return
        if self._writer is None:
            self._writer = csv.DictWriter(self._file, fieldnames=list(row))
            self._writer.writeheader()
        self._writer.writerow({key: f"{value:.12g}" for key, value in row.items()})
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def read_series(path: Path) -> dict[str, list[float]]:
    """Read a series.csv back as columns of floats (a row cut off by a kill is dropped)."""
    rows = list(csv.DictReader(complete_lines(path)))
    return {key: [float(row[key]) for row in rows] for key in (rows[0] if rows else {})}
