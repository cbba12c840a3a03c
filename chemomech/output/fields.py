"""Fields for ParaView: ``fields.xdmf`` over segments in ``fields/``, written collectively.

Displacement is written as P1 point data (interpolated when the solution is
P2), lithiation, the stress invariants and any further fields (crack risk,
porosity, creep strain) as DG0 cell data, and the region tags once per segment, so
ParaView can threshold by layer. The XDMF time value is the step number of
``series.csv`` (the preload steps all sit at t = 0 s, and XDMF needs distinct
times); the series maps steps to times.

An HDF5 file that is open when its process is killed cannot be read at all,
so the fields are written in segments: DOLFINx writes each segment, an
XDMF + HDF5 pair ``steps_<first step>``, under ``fields/.open/``; it is
closed at every checkpoint and at the end of the run and only then moved to
``fields/`` (the ``.h5`` first). ``fields.xdmf`` is an index of all closed
segments, rewritten atomically after each: one temporal collection per
field, each step with its own segment's mesh (a restart on another number of
ranks numbers the mesh differently), so ParaView opens one file. A killed
run keeps every step up to the last closed segment; the restart rewrites the
rest.
"""

import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from chemomech.dolfinx_compat import dolfinx

SEGMENT_PREFIX = "steps_"


def _last_step(segment: Path) -> float:
    """The largest time value (step) in a segment's XDMF file."""
    times = [float(t.get("Value")) for t in ET.parse(segment).getroot().iter("Time")]
    return max(times, default=-1.0)


def _resolve(grid: ET.Element, mesh: ET.Element, folder: str) -> ET.Element:
    """A copy of ``grid`` with its mesh includes expanded and its HDF paths under ``folder``."""
    grid = ET.fromstring(ET.tostring(grid))
    for uniform in list(grid.iter("Grid")):
        for include in [child for child in uniform if child.tag.endswith("}include")]:  # xi:include
            position = list(uniform).index(include)
            uniform.remove(include)
            missing = [c for c in mesh if c.tag in ("Topology", "Geometry") and uniform.find(c.tag) is None]
            for offset, child in enumerate(missing):
                uniform.insert(position + offset, ET.fromstring(ET.tostring(child)))
    for item in grid.iter("DataItem"):
        if item.get("Format") == "HDF":
            item.text = f"{folder}/{item.text.strip()}"
    return grid


def write_index(folder: Path, index: Path) -> None:
    """Write the XDMF index of the closed segments in ``folder`` to ``index`` (atomically)."""
    root = ET.Element("Xdmf", Version="3.0")
    domain = ET.SubElement(root, "Domain")
    collections: dict[str, ET.Element] = {}
    for number, segment in enumerate(sorted(folder.glob(f"{SEGMENT_PREFIX}*.xdmf"))):
        grids = ET.parse(segment).getroot().find("Domain").findall("Grid")
        mesh = grids[0]
        resolved = [_resolve(grid, mesh, folder.name) for grid in grids]
        for grid in resolved:
            if grid.get("GridType") != "Collection":
                if number == 0:  # the mesh and region tags once
                    domain.append(grid)
                continue
            name = grid.get("Name")
            if name not in collections:
                collections[name] = ET.SubElement(
                    domain, "Grid", Name=name, GridType="Collection", CollectionType="Temporal"
                )
            collections[name].extend(grid.findall("Grid"))
    ET.indent(root)
    tmp = index.with_name(index.name + ".tmp")
    ET.ElementTree(root).write(tmp, encoding="unicode", xml_declaration=True)
    os.replace(tmp, index)


class FieldWriter:
    """XDMF time series of displacement, lithiation and stress invariants.

    With ``keep_through`` = s (a restart from step s), the closed segments
    that end at or before step s are kept and every other one is removed.
    """

    def __init__(
        self, path: Path, model, material_fields, stresses, extra_fields=(), *, keep_through: int | None = None
    ):
        mesh = model.domain.mesh
        self._comm = mesh.comm
        self._index = Path(path)
        self._folder = self._index.with_suffix("")
        self._open_folder = self._folder / ".open"
        self._model = model
        self._file = None
        self._name = None
        if self._comm.rank == 0:
            self._clear(keep_through)
        self._comm.barrier()  # the folders exist before any rank writes
        self._u = model.u
        if model.space.element.basix_element.degree > 1:
            p1 = dolfinx.fem.functionspace(mesh, ("Lagrange", 1, (mesh.geometry.dim,)))
            self._u_out = dolfinx.fem.Function(p1, name="displacement")
        else:
            self._u_out = model.u
        self._cell_fields = [
            material_fields.xi,
            stresses.sigma1,
            stresses.sigma3,
            stresses.von_mises,
            stresses.hydrostatic,
            *extra_fields,
        ]

    def _clear(self, keep_through: int | None) -> None:
        """Remove what a new run (or a restart from step ``keep_through``) will write again (rank 0)."""
        shutil.rmtree(self._open_folder, ignore_errors=True)
        if keep_through is None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._index.unlink(missing_ok=True)
        else:
            for segment in self._folder.glob(f"{SEGMENT_PREFIX}*.xdmf"):
                if _last_step(segment) > keep_through:
                    segment.unlink()
                    segment.with_suffix(".h5").unlink(missing_ok=True)
            if any(self._folder.glob(f"{SEGMENT_PREFIX}*.xdmf")):
                write_index(self._folder, self._index)
            else:
                self._index.unlink(missing_ok=True)
        self._open_folder.mkdir(parents=True)

    def _open(self, step: int) -> None:
        mesh = self._model.domain.mesh
        self._name = f"{SEGMENT_PREFIX}{step:06d}"
        self._file = dolfinx.io.XDMFFile(mesh.comm, str(self._open_folder / f"{self._name}.xdmf"), "w")
        self._file.write_mesh(mesh)
        self._model.domain.cell_tags.name = "regions"
        self._file.write_meshtags(self._model.domain.cell_tags, mesh.geometry)

    def write(self, step: int) -> None:
        if self._file is None:
            self._open(step)
        if self._u_out is not self._u:
            self._u_out.interpolate(self._u)
        self._file.write_function(self._u_out, float(step))
        for field in self._cell_fields:
            self._file.write_function(field, float(step))

    def end_segment(self) -> None:
        """Close the open segment, move it into ``fields/`` and update the index (collective)."""
        if self._file is None:
            return
        self._file.close()
        self._file = None
        if self._comm.rank == 0:
            for suffix in (".h5", ".xdmf"):
                name = self._name + suffix
                os.replace(self._open_folder / name, self._folder / name)
            write_index(self._folder, self._index)

    def close(self) -> None:
        self.end_segment()
        if self._comm.rank == 0:
            shutil.rmtree(self._open_folder, ignore_errors=True)
