"""Large temporaries go back to the operating system when they are freed.

glibc's malloc serves a request above M_MMAP_THRESHOLD with a mapping of
its own, returned on free, and a smaller one from the heap, which keeps
freed memory for later requests. The threshold starts at 128 KiB and, by
default, rises to the size of every mapped block freed (up to 32 MiB). A
run frees such blocks at every step: the coefficients packed for each
assembly (about 0.2 kB per displacement dof on a P1 tetrahedral mesh),
the chunks of the per-step outputs. After the first, all of them come
from the heap, and the run's resident memory keeps the largest mix of
them for good. Fixing the threshold (which also stops the adjustment)
keeps them mapped: the peak memory of a 200k-dof inclusion run falls by
4 % (760 → 731 MB).

Only on glibc (Linux); elsewhere, and where mallopt refuses, nothing
changes.
"""

import ctypes
import ctypes.util
import sys

M_MMAP_THRESHOLD = -3
"""mallopt parameter number (malloc.h)."""
THRESHOLD_BYTES = 256 * 1024
"""Blocks at least this large are mapped on their own and unmapped when freed."""


def map_large_blocks() -> bool:
    """Fix glibc's mmap threshold at THRESHOLD_BYTES; True if it was set."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, THRESHOLD_BYTES))
    except (OSError, AttributeError):
        return False
