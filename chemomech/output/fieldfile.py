"""Read a run's ``fields.xdmf`` back, without DOLFINx or MPI.

``fields.xdmf`` indexes the field segments in ``fields/`` (see
output.fields): one temporal collection per field, and every step with the
mesh of its own segment (a restart on another number of ranks numbers the
mesh differently). A plain DOLFINx XDMF file, whose steps include the one
grid named ``mesh``, is read as well. Every data item names an HDF5 file
(relative to the XDMF file) and a dataset, which are read with h5py; the
arrays are global (DOLFINx writes every rank's block into one dataset). The
XDMF time value of a chemomech field file is the step number of
``series.csv``.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# XDMF topology type -> (VTK cell type, vertices per cell); linear cells only.
CELL_TYPES = {
    "Triangle": (5, 3),
    "Quadrilateral": (9, 4),
    "Tetrahedron": (10, 4),
    "Hexahedron": (12, 8),
    "Wedge": (13, 6),
}

DataRef = tuple[Path, str]
"""An HDF5 file and a dataset in it."""


class FieldFileError(ValueError):
    """A field file that cannot be read as a chemomech field file (names the file)."""


@dataclass(frozen=True)
class Mesh:
    """A mesh as read: reference points padded to 3D, cells, VTK cell type, geometric dimension."""

    points: np.ndarray  # (N, 3)
    cells: np.ndarray  # (M, k) vertex indices
    cell_type: int
    gdim: int


@dataclass
class FieldFile:
    """The fields of one run: per field name and step, the data and the mesh it lives on."""

    path: Path
    series: dict[str, dict[int, tuple[DataRef, str]]] = field(default_factory=dict)  # name -> step -> (data, centre)
    meshes: dict[int, tuple[str, DataRef, DataRef]] = field(default_factory=dict)  # step -> (kind, topology, geometry)

    @property
    def steps(self) -> list[int]:
        """Steps at which the displacement was written."""
        return sorted(self.series.get("displacement", {}))

    def has(self, name: str) -> bool:
        return name in self.series

    def read(self, name: str, step: int) -> tuple[np.ndarray, str]:
        """Values of ``name`` at ``step`` and where they live: "Node" (rows = mesh points) or "Cell"."""
        data, centre = self.series[name][step]
        return _read(data), centre

    def mesh(self, step: int) -> Mesh:
        """The mesh of the segment that holds ``step``."""
        kind, topology, geometry = self.meshes[step]
        coordinates = _read(geometry).astype(float)
        gdim = coordinates.shape[1]
        points = np.zeros((coordinates.shape[0], 3))
        points[:, :gdim] = coordinates
        return Mesh(points, _read(topology).astype(np.int64), CELL_TYPES[kind][0], gdim)


def _read(data: DataRef) -> np.ndarray:
    import h5py  # 12 MB resident: loaded when a file is read, not by every run that imports the snapshots

    path, dataset = data
    with h5py.File(path, "r") as handle:
        return np.asarray(handle[dataset])


def _data(item: ET.Element | None, xdmf: Path) -> DataRef:
    """The HDF5 file and dataset of a DataItem written as ``file.h5:/path``."""
    text = (item.text or "").strip() if item is not None else ""
    filename, _, dataset = text.rpartition(":")
    if item is None or item.get("Format") != "HDF" or not dataset:
        raise FieldFileError(f"{xdmf}: expected HDF5 data items, got {text!r}")
    return xdmf.parent / filename, dataset


def _mesh_of(grid: ET.Element, default: ET.Element, xdmf: Path) -> tuple[str, DataRef, DataRef]:
    """(cell kind, topology, geometry) of a step grid: its own, or the default mesh grid's."""
    source = grid if grid.find("Topology") is not None else default
    topology, geometry = source.find("Topology"), source.find("Geometry")
    kind = topology.get("TopologyType")
    if kind not in CELL_TYPES:
        raise FieldFileError(f"{xdmf}: cells of type {kind!r} are not supported; expected one of {list(CELL_TYPES)}")
    return kind, _data(topology.find("DataItem"), xdmf), _data(geometry.find("DataItem"), xdmf)


def read_field_file(xdmf: Path) -> FieldFile:
    """Parse ``xdmf``: every field at every step, and the mesh of every step."""
    xdmf = Path(xdmf)
    try:
        domain = ET.parse(xdmf).getroot().find("Domain")
    except (OSError, ET.ParseError) as err:
        raise FieldFileError(f"{xdmf}: {err}") from None
    mesh = domain.find("Grid[@Name='mesh']") if domain is not None else None
    if mesh is None:
        raise FieldFileError(f"{xdmf}: no grid named 'mesh'")
    file = FieldFile(xdmf)
    for collection in domain.findall("Grid[@GridType='Collection']"):
        for grid in collection.findall("Grid"):
            step = round(float(grid.find("Time").get("Value")))
            file.meshes.setdefault(step, _mesh_of(grid, mesh, xdmf))
            for attribute in grid.findall("Attribute"):
                file.series.setdefault(attribute.get("Name"), {})[step] = (
                    _data(attribute.find("DataItem"), xdmf),
                    attribute.get("Center"),
                )
    return file
