"""Read ``fields.xdmf`` (+ ``.h5``) back from a run's output directory.

The XDMF file names, for the mesh and for every function at every time, the
HDF5 dataset that holds the values; this reader follows those names (with
h5py), so it needs no DOLFINx and no MPI. The arrays are global: DOLFINx
writes every rank's block into one dataset. The XDMF time value of a
chemomech field file is the step number of ``series.csv``.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

# XDMF topology type -> (VTK cell type, vertices per cell); linear cells only.
CELL_TYPES = {
    "Triangle": (5, 3),
    "Quadrilateral": (9, 4),
    "Tetrahedron": (10, 4),
    "Hexahedron": (12, 8),
    "Wedge": (13, 6),
}


class FieldFileError(ValueError):
    """A field file that cannot be read as a chemomech field file (names the file)."""


@dataclass
class FieldFile:
    """Mesh and time series of one ``fields.xdmf``."""

    path: Path
    points: np.ndarray  # (N, 3) reference coordinates, padded with zeros in 2D
    cells: np.ndarray  # (M, k) vertex indices
    cell_type: int  # VTK cell type
    gdim: int
    series: dict[str, dict[int, tuple[str, str]]] = field(default_factory=dict)  # name -> step -> (dataset, centre)

    @property
    def steps(self) -> list[int]:
        """Steps at which the displacement was written."""
        return sorted(self.series.get("displacement", {}))

    def has(self, name: str) -> bool:
        return name in self.series

    def read(self, name: str, step: int) -> tuple[np.ndarray, str]:
        """Values of ``name`` at ``step`` and where they live: "Node" (rows = points) or "Cell"."""
        dataset, centre = self.series[name][step]
        with h5py.File(self.path.with_suffix(".h5"), "r") as handle:
            values = np.asarray(handle[dataset])
        return values, centre


def _dataset(item: ET.Element, xdmf: Path) -> str:
    """The HDF5 dataset of a DataItem written as ``file.h5:/path``."""
    text = (item.text or "").strip()
    _, _, dataset = text.rpartition(":")
    if item.get("Format") != "HDF" or not dataset:
        raise FieldFileError(f"{xdmf}: expected HDF5 data items, got {text!r}")
    return dataset


def read_field_file(xdmf: Path) -> FieldFile:
    """Parse ``xdmf`` and load its mesh."""
    xdmf = Path(xdmf)
    try:
        domain = ET.parse(xdmf).getroot().find("Domain")
    except (OSError, ET.ParseError) as err:
        raise FieldFileError(f"{xdmf}: {err}") from None
    mesh = domain.find("Grid[@Name='mesh']") if domain is not None else None
    if mesh is None:
        raise FieldFileError(f"{xdmf}: no grid named 'mesh'")
    topology, geometry = mesh.find("Topology"), mesh.find("Geometry")
    kind = topology.get("TopologyType")
    if kind not in CELL_TYPES:
        raise FieldFileError(f"{xdmf}: cells of type {kind!r} are not supported; expected one of {list(CELL_TYPES)}")
    with h5py.File(xdmf.with_suffix(".h5"), "r") as handle:
        cells = np.asarray(handle[_dataset(topology.find("DataItem"), xdmf)], dtype=np.int64)
        coordinates = np.asarray(handle[_dataset(geometry.find("DataItem"), xdmf)], dtype=float)
    gdim = coordinates.shape[1]
    points = np.zeros((coordinates.shape[0], 3))
    points[:, :gdim] = coordinates
    file = FieldFile(xdmf.with_suffix(".h5"), points, cells, CELL_TYPES[kind][0], gdim)
    for collection in domain.findall("Grid[@GridType='Collection']"):
        for grid in collection.findall("Grid"):
            step = round(float(grid.find("Time").get("Value")))
            for attribute in grid.findall("Attribute"):
                name = attribute.get("Name")
                file.series.setdefault(name, {})[step] = (
                    _dataset(attribute.find("DataItem"), xdmf),
                    attribute.get("Center"),
                )
    return file
