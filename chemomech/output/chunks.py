"""Per-step outputs a chunk of cells at a time.

The stress and distortion measures evaluate a 3×3 tensor on every cell at
every step: 72 B per cell and point for each array, or about 0.15 kB per
displacement dof of a P1 tetrahedral mesh for each temporary. Evaluated
CHUNK cells at a time, their temporaries stay under a MB whatever the mesh
size, and the run's peak memory is the solver's.

CHUNK = 8192 keeps a scalar per cell (64 KiB) below the mmap threshold that
a run fixes (256 KiB, chemomech.solve.heap): the dozens of such temporaries
of an update come from the heap and are used again, where 65536 cells made
each a fresh mapping whose pages fault in on first touch. The stress update
and the distortion check of the 200k-dof inclusion (361k cells, one rank)
took 93 and 87 ms at 8192 cells, 147 and 129 ms at 65536, 117 and 106 ms
at 16384 and 110 and 97 ms at 2048 (more calls); the whole records of a
2-rank run 1.07 s instead of 1.55 s.
"""

from collections.abc import Iterator

CHUNK = 1 << 13


def chunks(count: int, size: int | None = None) -> Iterator[slice]:
    """Consecutive slices covering range(count), ``size`` (default CHUNK) items each, the last one shorter."""
    size = size or CHUNK
    for start in range(0, count, size):
        yield slice(start, min(start + size, count))
