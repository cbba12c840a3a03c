"""``series.csv``: one row per converged step, units in every column name.

Written by rank 0 only; each row is flushed and synced, so a run killed at
any moment leaves every earlier row readable.
"""

import csv
import os
from pathlib import Path


class SeriesWriter:
    """Append-only CSV whose columns are fixed by the first row."""

    def __init__(self, path: Path, comm):
        self.path = Path(path)
        self._rank0 = comm.rank == 0
        self._file = open(self.path, "w", newline="") if self._rank0 else None
        self._writer = None

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
    """Read a series.csv back as columns of floats."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {key: [float(row[key]) for row in rows] for key in (rows[0] if rows else {})}
