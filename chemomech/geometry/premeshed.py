"""Meshing once for many runs: a :class:`Domain` written to and read from a directory.

``chemomech mesh CASE -o DIR`` builds the domain exactly as a run would
(``build_domain``: gmsh on rank 0, then distribution) and writes

* ``DIR/domain.xdmf`` and ``DIR/domain.h5``: the mesh (metres), its cell
  tags (``cell_tags``) and facet tags (``facet_tags``), through
  ``dolfinx.io.XDMFFile``, which writes and reads collectively with
  parallel HDF5 on any number of ranks;
* ``DIR/tags_by_cell.npy``: the tags again, one row per cell in the order
  of ``domain.xdmf``'s topology (``chemomech.geometry.file_cell_values``):
  the cell's tag, then the tags of its facets in their local order
  (``NO_TAG`` where there is none). A run reads them without matching cells
  and facets by their vertices (4.1 s of a 1.9M-cell read on one process);
  without the file, or for a record that does not name it, they are read
  from ``domain.xdmf``;
* ``DIR/domain.json``: everything else a Domain carries (region and
  boundary names and tags, kind, loaded area, height, layer bounds,
  rollers, the microstructure metrics that ``analyse`` measured on the
  distributed mesh), the fingerprint of the case's geometry, the cell and node
  counts, the chemomech version and, for a case on a mesh file, what its
  validation found in the file (``data_file``). It is written last, so a
  directory whose writing was interrupted has none and is refused.

``chemomech run CASE --mesh DIR`` reads the domain on every rank (no gmsh,
no rank-0 step) after checking that DIR was meshed from the same geometry:
the fingerprint is the SHA-256 of the geometry section's canonical JSON with
what does not change the mesh left out (``save_mesh``, the material names
of regions) and each data file (voxel image, mesh file) replaced by the
SHA-256 of its content, so a moved case still matches and an edited image
does not.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

import chemomech
from chemomech.case.datafiles import file_digest, forget_meshes
from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.errors import PremeshedError
from chemomech.geometry.domain import Domain, build_domain, saved_mesh_file
from chemomech.geometry.file_cell_values import read_cell_rows, write_cell_rows
from chemomech.geometry.renumber import named_tags, renumbered

MESH_FILE = "domain.xdmf"
RECORD_FILE = "domain.json"
TAGS_BY_CELL_FILE = "tags_by_cell.npy"
NO_TAG = np.iinfo(np.int32).min
"""Marks an untagged cell or facet in TAGS_BY_CELL_FILE."""
FORMAT = 1
"""Version of the directory layout; a record of another format is refused."""
CELL_TAGS, FACET_TAGS = "cell_tags", "facet_tags"
DATA_FILE_FIELDS = {"voxel": "image", "mesh": "file"}
"""Geometry field naming a data file, per geometry type: hashed by content."""


def geometry_fingerprint(geometry) -> str:
    """SHA-256 (hex) of what in the validated ``geometry`` section determines the mesh."""
    data = geometry.model_dump(mode="json")
    data.pop("save_mesh", None)
    for loc in geometry.material_fields():  # material names do not change the mesh
        parent = data
        for key in loc[:-1]:
            parent = parent[key]
        parent.pop(loc[-1], None)
    field = DATA_FILE_FIELDS.get(data.get("type"))
    if field is not None:
        data[field] = file_digest(Path(getattr(geometry, field)))
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def case_domain(case, comm: MPI.Comm, mesh_dir: Path | None = None) -> Domain:
    """The domain of ``case``: read from ``mesh_dir`` if given, else meshed (saved if ``save_mesh``)."""
    if mesh_dir is None:
        domain = build_domain(case.geometry, comm, mesh_file=saved_mesh_file(case))
    else:
        fingerprint = geometry_fingerprint(case.geometry) if comm.rank == 0 else None  # may hash a large image
        domain = read_domain(mesh_dir, comm.bcast(fingerprint, root=0), comm)
    forget_meshes()
    return domain


def version_warnings(domain) -> list[str]:
    """A warning when ``domain`` was read from a directory written by another chemomech version
    (its builders may mesh the same geometry differently now)."""
    written = domain.source.get("chemomech_version")
    if written is None or written == chemomech.__version__:
        return []
    return [
        f"the pre-meshed domain in {domain.source['directory']} was written by chemomech {written}, "
        f"this is {chemomech.__version__}; mesh again (chemomech mesh) for the mesh this version builds"
    ]


def mesh_case(case, directory: Path, comm: MPI.Comm) -> dict:
    """Build the domain of ``case`` as a run does and write it to ``directory``; return the record."""
    domain = build_domain(case.geometry, comm, mesh_file=saved_mesh_file(case))
    data_file = case.geometry.validated_file() if case.geometry.type == "mesh" else None
    return write_domain(domain, directory, geometry_fingerprint(case.geometry), comm, data_file)


def write_domain(domain, directory: Path, fingerprint: str, comm: MPI.Comm, data_file: dict | None = None) -> dict:
    """Write ``domain`` to ``directory`` (collective); return the record of domain.json.

    Renames the domain's tags ``cell_tags`` and ``facet_tags`` (their names
    in the file). ``data_file``: what validating the case found in its mesh
    file (``MeshFileGeometry.validated_file()``), kept as the record's
    ``data_file`` so that validating the case for a run on this domain need
    not read the file again (``recorded_data_file``).
    """
    directory = Path(directory)
    error = None
    if comm.rank == 0:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            (directory / RECORD_FILE).unlink(missing_ok=True)  # an interrupted rewrite must not look complete
        except OSError as err:
            error = str(err)
    error = comm.bcast(error, root=0)
    if error is not None:
        raise PremeshedError(f"{directory}: cannot write the domain here: {error}")
    mesh = domain.mesh
    domain.cell_tags.name, domain.facet_tags.name = CELL_TAGS, FACET_TAGS
    with dolfinx.io.XDMFFile(comm, directory / MESH_FILE, "w") as xdmf:
        xdmf.write_mesh(mesh)
        xdmf.write_meshtags(domain.cell_tags, mesh.geometry)
        xdmf.write_meshtags(domain.facet_tags, mesh.geometry)
    tags_by_cell_file = _write_tags_by_cell(domain, directory / TAGS_BY_CELL_FILE, comm)
    record = {
        "format": FORMAT,
        "fingerprint": fingerprint,
        "chemomech_version": chemomech.__version__,
        "kind": domain.kind,
        "regions": domain.regions,
        "boundaries": domain.boundaries,
        "loaded_area [m2]": domain.loaded_area,
        "height [m]": domain.height,
        "layer_bounds [m]": {name: list(bounds) for name, bounds in domain.layer_bounds.items()},
        "rollers": {name: list(components) for name, components in domain.rollers.items()},
        "cells": mesh.topology.index_map(mesh.topology.dim).size_global,
        "nodes": mesh.geometry.index_map().size_global,
        "metrics": domain.metrics,
        "data_file": data_file,
        "tags_by_cell_file": tags_by_cell_file,
    }
    if comm.rank == 0:
        from chemomech.output.provenance import write_json_atomic

        write_json_atomic(directory / RECORD_FILE, record)
    comm.barrier()
    return record


def recorded_data_file(directory: Path) -> dict | None:
    """The ``data_file`` of the domain record in ``directory`` (see ``write_domain``), or None.

    None also for a missing or unreadable record: ``read_domain`` reports
    those. Rank 0 alone reads it, for the case's validation, which would
    otherwise read and parse the mesh file again on rank 0 while the other
    ranks wait (0.4 s at 200k dofs, seconds at millions of cells).
    """
    record, _ = _read_record(Path(directory))
    return record.get("data_file") if record is not None else None


def read_domain(directory: Path, fingerprint: str, comm: MPI.Comm):
    """The Domain written to ``directory``, distributed over ``comm``.

    Raises :class:`PremeshedError` on every rank, before any collective
    read, when a file is missing or unreadable or the directory was meshed
    from another geometry than the one whose fingerprint is ``fingerprint``.
    """
    directory = Path(directory)
    record, error = (_check(directory, fingerprint) if comm.rank == 0 else (None, None))
    record, error = comm.bcast((record, error), root=0)
    if error is not None:
        raise PremeshedError(f"{directory}: {error}")
    with dolfinx.io.XDMFFile(comm, directory / MESH_FILE, "r") as xdmf:
        mesh = xdmf.read_mesh(ghost_mode=dolfinx.mesh.GhostMode.shared_facet)
        tdim = mesh.topology.dim
        cells = mesh.topology.index_map(tdim).size_global
        if cells != record["cells"]:  # the same on every rank
            raise PremeshedError(f"{directory}: {MESH_FILE} has {cells} cells, {RECORD_FILE} says {record['cells']}")
        mesh.topology.create_connectivity(tdim - 1, tdim)
        tags = _read_tags_by_cell(mesh, directory, record)
        cell_tags, facet_tags = tags if tags is not None else (
            xdmf.read_meshtags(mesh, CELL_TAGS), xdmf.read_meshtags(mesh, FACET_TAGS))
    mesh, cell_tags, facet_tags = renumbered(mesh, cell_tags, facet_tags)
    return Domain(
        mesh=mesh,
        cell_tags=cell_tags,
        facet_tags=facet_tags,
        regions=record["regions"],
        boundaries=record["boundaries"],
        kind=record["kind"],
        loaded_area=record["loaded_area [m2]"],
        height=record["height [m]"],
        layer_bounds={name: tuple(bounds) for name, bounds in record["layer_bounds [m]"].items()},
        rollers={name: tuple(components) for name, components in record["rollers"].items()},
        metrics=record["metrics"],
        source={
            "directory": str(directory.resolve()),
            "fingerprint": fingerprint,
            "chemomech_version": record["chemomech_version"],
        },
    )


def _write_tags_by_cell(domain, path: Path, comm: MPI.Comm) -> str | None:
    """Write the tags by cell to ``path`` (collective; see the module text); its name, or
    None (nothing written) for a mesh of several cell or facet types or a tag of NO_TAG."""
    topology = domain.mesh.topology
    tdim = topology.dim
    one_type = len(topology.entity_types[tdim]) == len(topology.entity_types[tdim - 1]) == 1
    tags = (domain.cell_tags, domain.facet_tags)
    if not comm.allreduce(one_type and all(NO_TAG not in t.values for t in tags), op=MPI.LAND):
        if comm.rank == 0:
            path.unlink(missing_ok=True)  # of an earlier domain in this directory
        return None
    cells = topology.index_map(tdim)
    owned_cell_facets = _cell_facets(topology)[: cells.size_local]
    rows = np.column_stack([_by_entity(topology, tdim, domain.cell_tags)[: cells.size_local],
                            _by_entity(topology, tdim - 1, domain.facet_tags)[owned_cell_facets]])
    try:
        write_cell_rows(path, rows, cells.local_range[0], cells.size_global, comm)
    except OSError as err:
        raise PremeshedError(f"cannot write the domain here: {err}") from err
    return path.name


def _read_tags_by_cell(mesh, directory: Path, record: dict):
    """(cell tags, facet tags) from the record's ``tags_by_cell_file`` (collective); None
    where it names none or the file does not fit the mesh (then they are read from the
    mesh file)."""
    name = record.get("tags_by_cell_file")
    rows = read_cell_rows(directory / name, mesh, record["cells"]) if name else None
    if rows is None:
        return None
    topology = mesh.topology
    tdim = topology.dim
    cell_facets = _cell_facets(topology)
    if rows.shape[1] != 1 + cell_facets.shape[1]:  # the same on every rank
        return None
    facet_values = _untagged(topology, tdim - 1)
    facet_values[cell_facets] = rows[:, 1:]
    return _tags_of(mesh, tdim, rows[:, 0], CELL_TAGS), _tags_of(mesh, tdim - 1, facet_values, FACET_TAGS)


def _cell_facets(topology) -> np.ndarray:
    """The local facets of every local cell, (cells, facets per cell)."""
    tdim = topology.dim
    topology.create_connectivity(tdim, tdim - 1)
    cells = topology.index_map(tdim)
    return topology.connectivity(tdim, tdim - 1).array.reshape(cells.size_local + cells.num_ghosts, -1)


def _untagged(topology, dim: int) -> np.ndarray:
    """NO_TAG for every local entity of dimension ``dim``."""
    entities = topology.index_map(dim)
    return np.full(entities.size_local + entities.num_ghosts, NO_TAG, dtype=np.int32)


def _by_entity(topology, dim: int, tags) -> np.ndarray:
    """The tag of every local entity of dimension ``dim``, NO_TAG where it has none."""
    values = _untagged(topology, dim)
    values[tags.indices] = tags.values
    return values


def _tags_of(mesh, dim: int, by_entity: np.ndarray, name: str):
    """The mesh tags ``by_entity`` (NO_TAG: untagged) of dimension ``dim``, named ``name``."""
    entities = np.flatnonzero(by_entity != NO_TAG).astype(np.int32)
    return named_tags(mesh, dim, entities, by_entity[entities], name)


def _read_record(directory: Path) -> tuple[dict | None, str | None]:
    """(domain.json of ``directory``, None) or (None, why it is unreadable or of another format)."""
    try:
        record = json.loads((directory / RECORD_FILE).read_text())
    except (OSError, ValueError) as err:
        return None, f"{RECORD_FILE} is unreadable: {err}"
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        return None, f"{RECORD_FILE} is not a chemomech domain record of format {FORMAT}"
    return record, None


def _check(directory: Path, fingerprint: str) -> tuple[dict | None, str | None]:
    """(the record of domain.json, None) or (None, what is wrong with ``directory``)."""
    if not directory.is_dir():
        return None, "no such directory (write it with: chemomech mesh CASE -o DIR)"
    missing = [name for name in (RECORD_FILE, MESH_FILE, Path(MESH_FILE).with_suffix(".h5").name)
               if not (directory / name).is_file()]
    if missing:
        return None, f"not a complete pre-meshed domain: {', '.join(missing)} missing (rewrite it with chemomech mesh)"
    record, error = _read_record(directory)
    if error is not None:
        return None, error
    if record.get("fingerprint") != fingerprint:
        return None, (
            "stale mesh: it was meshed from another geometry than the case's "
            f"(fingerprint {str(record.get('fingerprint'))[:12]}..., the case's {fingerprint[:12]}...); "
            "mesh the case again with chemomech mesh"
        )
    return record, None
