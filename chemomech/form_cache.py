"""Keeping the form-compiler (FFCx JIT) cache usable.

DOLFINx compiles every form to a C extension in its cache directory
(``$XDG_CACHE_HOME/fenics``, default ``~/.cache/fenics``). FFCx claims an
entry by creating ``<module>.c`` exclusively, compiles ``<module>.<abi>.so``
and then marks it ready with ``<module>.c.cached``; a process that finds the
``.c`` waits for the marker, and fails after the JIT timeout. A compile that
was killed (a job hitting its wall-time limit) therefore leaves a claim that
makes every later run of the same form fail, and a truncated library fails
to load. ``repair`` removes both kinds of entry before a run builds its
forms: claims older than ``STALE_AFTER`` without a marker, and marked entries
whose library is missing or not an ELF file. Fresh claims are left alone: a
concurrent run (a sweep) may be compiling them right now.
"""

import os
import time
from collections import defaultdict
from pathlib import Path

from chemomech.dolfinx_compat import dolfinx

STALE_AFTER = 120.0
"""s: a claim this old without a marker belongs to a compile that died
(chemomech's forms compile in seconds; dolfinx_compat lets a run wait 300 s
for a form another run is compiling)."""


def cache_directory() -> Path:
    """The DOLFINx JIT cache directory in effect."""
    return dolfinx.jit.get_options()["cache_dir"]


def _loadable(library: Path) -> bool:
    try:
        with open(library, "rb") as handle:
            return handle.read(4) == b"\x7fELF"
    except OSError:
        return False


def repair(directory: Path | None = None, *, now: float | None = None) -> list[Path]:
    """Remove dead claims and broken entries from the cache; return the removed files.

    One listing of the directory (a cache holds thousands of entries; a
    glob per claim made this quadratic: 13 s at 1000 forms). Not
    collective: call it on one rank, before the others compile.
    """
    directory = cache_directory() if directory is None else Path(directory)
    now = time.time() if now is None else now
    names = set(os.listdir(directory)) if directory.is_dir() else set()
    libraries = defaultdict(list)  # module -> its compiled libraries <module>.<abi>.so
    for name in names:
        if name.endswith(".so"):
            libraries[name.split(".", 1)[0]].append(directory / name)
    removed = []
    for name in sorted(n for n in names if n.endswith(".c")):
        claim, marker = directory / name, directory / f"{name}.cached"
        compiled = libraries.get(name[:-2], [])
        try:
            if f"{name}.cached" in names:
                broken = not compiled or not all(map(_loadable, compiled))
            else:  # a claim; dead if old, unless its compile finished since the listing
                broken = now - claim.stat().st_mtime > STALE_AFTER and not marker.exists()
        except FileNotFoundError:  # removed meanwhile by another process
            continue
        if broken:
            for path in (claim, marker, *compiled):
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed
