"""Per-step outputs a chunk of cells at a time.

The stress and distortion measures evaluate a 3×3 tensor on every cell at
every step: 72 B per cell and point for each array, or about 0.15 kB per
displacement dof of a P1 tetrahedral mesh for each temporary. Evaluated
CHUNK cells at a time, their temporaries stay a few MB whatever the mesh
size, and the run's peak memory is the solver's.
"""

from collections.abc import Iterator

CHUNK = 1 << 16


def chunks(count: int, size: int | None = None) -> Iterator[slice]:
    """Consecutive slices covering range(count), ``size`` (default CHUNK) items each, the last one shorter."""
    size = size or CHUNK
    for start in range(0, count, size):
        yield slice(start, min(start + size, count))
