"""Data files a case refers to: label images (``.npy``, TIFF) and meshes (any meshio format).

Paths in a case are relative to the folder of the case file. The readers
return plain numpy arrays and raise :class:`DataFileError` with a message
fit for the user; the schema reports it at the field that names the file.
Every rank reads the same file and so reaches the same verdict.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = (".npy", ".tif", ".tiff")
SIMPLEX = {2: "triangle", 3: "tetra"}
"""meshio cell type of the linear simplex of each topological dimension."""
PLANAR_TOL = 1e-9
"""A 2D mesh file must have its third coordinate below this times its size."""


class DataFileError(ValueError):
    """A data file that is missing, unreadable or holds the wrong kind of data."""


def resolve(name: str, folder: Path | str) -> Path:
    """The absolute path of ``name`` (as written in the case) relative to ``folder``."""
    return (Path(folder) / Path(name).expanduser()).absolute()


def file_digest(path: Path) -> str:
    """``sha256:`` and the hex SHA-256 of the file's content.

    The last few are kept (keyed by path, size and modification time): the
    validation and the geometry fingerprint hash a large mesh file once.
    """
    stat = path.stat()
    return _file_digest(path.resolve(), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=4)
def _file_digest(path: Path, size: int, modified: int) -> str:
    with path.open("rb") as file:
        return "sha256:" + hashlib.file_digest(file, "sha256").hexdigest()


def read_label_image(path: Path) -> np.ndarray:
    """The integer label array stored in ``path`` (``.npy``, or a ``.tif``/``.tiff`` stack)."""
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise DataFileError(f"expected a .npy or .tif/.tiff label image, got {path.name!r}")
    if not path.is_file():
        raise DataFileError(f"no such file: {path}")
    try:
        if suffix == ".npy":
            image = np.load(path, allow_pickle=False)
        else:
            import tifffile

            image = tifffile.imread(path)
    except Exception as err:  # noqa: BLE001 - numpy and tifffile raise many types on bad files
        raise DataFileError(f"cannot read {path}: {err}") from None
    if not np.issubdtype(image.dtype, np.integer):
        raise DataFileError(f"expected integer labels, got {image.dtype} data in {path}")
    return image


@dataclass(frozen=True)
class SimplexMesh:
    """The linear simplices of one dimension in a mesh file.

    ``points`` (N, tdim) in the file's unit (a 2D mesh in its x-y plane),
    ``cells`` (M, tdim + 1) point indices, ``cell_data`` name -> (M,) values
    of every cell array defined on all of these cells.
    """

    points: np.ndarray
    cells: np.ndarray
    cell_data: dict[str, np.ndarray]


def read_simplex_mesh(path: Path, tdim: int) -> SimplexMesh:
    """Triangles (``tdim`` 2) or tetrahedra (3) of a meshio-readable file; other cells are ignored.

    The last file read is kept (keyed by path, size and modification time):
    validating a case and building its mesh read a large file once. The
    arrays are shared: callers must not modify them in place.
    """
    if not path.is_file():
        raise DataFileError(f"no such file: {path}")
    stat = path.stat()
    return _read_simplex_mesh(path.resolve(), tdim, stat.st_size, stat.st_mtime_ns)


def forget_meshes() -> None:
    """Drop the kept mesh file: once the domain is built it only holds memory (every rank read it)."""
    _read_simplex_mesh.cache_clear()


@lru_cache(maxsize=1)
def _read_simplex_mesh(path: Path, tdim: int, size: int, modified: int) -> SimplexMesh:
    import meshio

    try:
        mesh = meshio.read(path)
    except Exception as err:  # noqa: BLE001 - meshio raises many types on bad or unknown files
        raise DataFileError(f"cannot read {path}: {err}") from None
    kind = SIMPLEX[tdim]
    blocks = [i for i, block in enumerate(mesh.cells) if block.type == kind]
    if not blocks:
        found = sorted({block.type for block in mesh.cells}) or ["none"]
        raise DataFileError(f"expected {kind} cells in {path}, found {', '.join(found)}")
    cells = np.concatenate([mesh.cells[i].data for i in blocks]).astype(np.int64)
    cell_data = {
        name: np.concatenate([np.asarray(arrays[i]).reshape(-1) for i in blocks])
        for name, arrays in mesh.cell_data.items()
        if all(np.asarray(arrays[i]).size == len(mesh.cells[i].data) for i in blocks)
    }
    points = np.asarray(mesh.points, dtype=float)
    if tdim == 2 and points.shape[1] == 3:
        size = np.ptp(points, axis=0).max()
        if np.abs(points[:, 2]).max(initial=0.0) > PLANAR_TOL * size:
            raise DataFileError(f"expected a 2D mesh in the x-y plane (z = 0), got z up to {points[:, 2].max():g}")
    return SimplexMesh(points[:, :tdim], cells, cell_data)


def cell_tags(mesh: SimplexMesh, name: str | None) -> tuple[str, np.ndarray]:
    """(name, values) of the integer cell array holding the tags.

    Without ``name``: ``gmsh:physical`` if present, else the only integer array.
    """
    integer = [key for key, values in mesh.cell_data.items() if np.issubdtype(values.dtype, np.integer)]
    if name is None:
        if "gmsh:physical" in integer:
            name = "gmsh:physical"
        elif len(integer) == 1:
            name = integer[0]
        else:
            found = ", ".join(integer) if integer else "none"
            raise DataFileError(f"name the cell-data array that holds the tags (integer arrays in the file: {found})")
    if name not in mesh.cell_data:
        raise DataFileError(f"no cell-data array {name!r} in the file (arrays: {', '.join(mesh.cell_data) or 'none'})")
    values = mesh.cell_data[name]
    if not np.issubdtype(values.dtype, np.integer):
        raise DataFileError(f"expected integer tags in {name!r}, got {values.dtype} data")
    return name, values
