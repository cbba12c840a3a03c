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

import time
from pathlib import Path

from chemomech.dolfinx_compat import dolfinx

STALE_AFTER = 120.0
"""s: a claim this old without a marker belongs to a compile that died
(chemomech's forms compile in seconds; dolfinx_compat lets a run wait 300 s
for a form another run is compiling)."""


def cache_directory() -> Path:
    """The DOLFINx JIT cache directory in effect."""
    return dolfinx.jit.get_options()["cache_dir"]


def _libraries(claim: Path) -> list[Path]:
    return list(claim.parent.glob(claim.stem + ".*.so"))


def _loadable(library: Path) -> bool:
    try:
        with open(library, "rb") as handle:
            return handle.read(4) == b"\x7fELF"
    except OSError:
        return False


def repair(directory: Path | None = None, *, now: float | None = None) -> list[Path]:
    """Remove dead claims and broken entries from the cache; return the removed files.

    Not collective: call it on one rank, before the others compile.
    """
    directory = cache_directory() if directory is None else Path(directory)
    now = time.time() if now is None else now
    removed = []
    for claim in directory.glob("*.c"):
        marker = claim.with_suffix(".c.cached")
        libraries = _libraries(claim)
        try:
            if marker.exists():
                broken = not libraries or not all(map(_loadable, libraries))
            else:
                broken = now - claim.stat().st_mtime > STALE_AFTER
        except FileNotFoundError:  # removed meanwhile by another process
            continue
        if broken:
            for path in (claim, marker, *libraries):
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed
