"""The meshed domain handed to the physics, and the rank-0 build + distribution."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.geometry.base import KINDS, Blueprint, GeometryError
from chemomech.geometry.renumber import renumbered

@dataclass(frozen=True, eq=False)
class Domain:
    """A distributed mesh with named regions (cells) and boundaries (facets).

    The last coordinate is the stack axis z. ``loaded_area`` is the nominal
    plunger area pi R^2 of a stack (whatever the kind; the mesh is a half,
    an axisymmetric section or a quarter of it), pi b^2 for an inclusion or
    the top face of a box (voxel image, imported mesh: L_x L_y, or L_x times
    1 m in plane strain); ``height`` is the stack or box height, or the outer
    radius b of an inclusion.
    ``layer_bounds`` maps each stack layer to (z_bottom, z_top); it is empty
    for an inclusion. ``rollers`` maps boundary names to the displacement
    components held at zero there (supports and symmetry planes; the
    fixture adds the top plunger). ``metrics`` is what the blueprint's
    ``analyse`` measured on the distributed mesh (the same on every rank;
    empty without one). ``source`` is empty for a domain meshed by this run and
    names the directory and geometry fingerprint of one read from a
    pre-meshed directory (chemomech.geometry.premeshed). Lengths in metres. In parallel, cells are ghosted across
    shared facets, so interior-facet integrals (``dS``) over interfaces work.
    """

    mesh: dolfinx.mesh.Mesh
    cell_tags: dolfinx.mesh.MeshTags
    facet_tags: dolfinx.mesh.MeshTags
    regions: dict[str, int]
    boundaries: dict[str, int]
    kind: str
    loaded_area: float
    height: float
    layer_bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    rollers: dict[str, tuple[int, ...]] = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    source: dict = field(default_factory=dict)

    # Per-cell data shared by every module that needs it: at 1M displacement
    # dofs (1.9M cells) each int32 array over the cells is 0.008 kB per dof,
    # and a DG0 space holds a dofmap of its own.

    @cached_property
    def cell_space(self) -> dolfinx.fem.FunctionSpace:
        """The DG0 space (one value per cell) of every cell field."""
        return dolfinx.fem.functionspace(self.mesh, ("DG", 0))

    @cached_property
    def cell_dofs(self) -> np.ndarray:
        """Local cell (owned, then ghosts) -> its dof in ``cell_space``: a view of the dofmap."""
        return self.cell_space.dofmap.list[:, 0]

    @cached_property
    def region_cells(self) -> dict[str, np.ndarray]:
        """Region name -> its local cells (owned, then ghosts) in ascending order; read-only."""
        cells = {}
        for name, tag in self.regions.items():
            cells[name] = np.sort(self.cell_tags.find(tag))
            cells[name].flags.writeable = False
        return cells

    @cached_property
    def regions_cover_cells(self) -> bool:
        """Whether every cell lies in a region, on every rank (collective on first use)."""
        owned = self.mesh.topology.index_map(self.mesh.topology.dim).size_local
        in_regions = sum(len(cells) for cells in self.owned_region_cells.values())
        return bool(self.mesh.comm.allreduce(in_regions == owned, op=MPI.LAND))

    @cached_property
    def owned_region_cells(self) -> dict[str, np.ndarray]:
        """Region name -> its owned cells: views of the start of ``region_cells`` (owned cells are numbered first)."""
        owned = self.mesh.topology.index_map(self.mesh.topology.dim).size_local
        return {name: cells[: np.searchsorted(cells, owned)] for name, cells in self.region_cells.items()}


def saved_mesh_file(case) -> Path | None:
    """Where a run saves the gmsh mesh of ``case`` (``geometry.save_mesh``), or None."""
    return Path("meshes") / f"{case.name}.msh" if case.geometry.save_mesh else None


def build_domain(geometry, comm: MPI.Comm, *, mesh_file: Path | None = None) -> Domain:
    """Mesh ``geometry`` with gmsh on rank 0 and distribute it over ``comm``.

    ``geometry`` is the validated geometry section of a case (SI floats);
    ``mesh_file``, if given, receives the gmsh mesh (``.msh``, metres). Any
    failure raises :class:`GeometryError` on every rank.
    """
    # The builders and gmsh (14 MB resident) load here, when a run meshes: a
    # run on a pre-meshed domain (chemomech.geometry.premeshed) needs neither.
    from chemomech.geometry import inclusion, mesh_import, particle, rve, stack, voxel

    builders = {
        "stack": stack.blueprint,
        "inclusion": inclusion.blueprint,
        "particle": particle.blueprint,
        "rve": rve.blueprint,
        "voxel": voxel.blueprint,
        "mesh": mesh_import.blueprint,
    }
    kind = getattr(geometry, "type", None)
    if kind not in builders:
        raise GeometryError(f"unknown geometry type {kind!r}; expected one of {sorted(builders)}")
    if geometry.dimension not in KINDS:
        raise GeometryError(
            f"unknown geometry dimension {geometry.dimension!r}; expected one of {sorted(KINDS)}"
        )
    return distribute(builders[kind](geometry), comm, mesh_file)


def distribute(blueprint: Blueprint, comm: MPI.Comm, mesh_file: Path | None = None) -> Domain:
    """Mesh ``blueprint`` (from its arrays, or drawn and meshed by gmsh on rank 0), distribute the mesh and
    tags, renumber it and measure it on every rank."""
    if blueprint.distribute is not None and mesh_file is None:
        try:
            mesh, cell_tags, facet_tags, regions, boundaries = blueprint.distribute(comm)
        except RuntimeError as err:  # raised on every rank
            raise GeometryError(f"meshing the {blueprint.kind} geometry failed: {err}") from err
    else:
        mesh, cell_tags, facet_tags, regions, boundaries = _distributed_gmsh_mesh(blueprint, comm, mesh_file)
    mesh, cell_tags, facet_tags = renumbered(mesh, cell_tags, facet_tags)
    return Domain(
        mesh=mesh,
        cell_tags=cell_tags,
        facet_tags=facet_tags,
        regions=regions,
        boundaries=boundaries,
        kind=blueprint.kind,
        loaded_area=blueprint.loaded_area,
        height=blueprint.height,
        layer_bounds=dict(blueprint.layer_bounds),
        rollers=dict(blueprint.rollers),
        metrics=_analysed(blueprint, mesh, cell_tags, regions),
    )


def _distributed_gmsh_mesh(blueprint: Blueprint, comm: MPI.Comm, mesh_file: Path | None):
    """Mesh, cell tags, facet tags, regions and boundaries of the blueprint drawn and meshed by gmsh on rank 0."""
    import gmsh

    from chemomech.geometry import gmsh_model

    root = comm.rank == 0
    session = gmsh_model.gmsh_session(f"chemomech-{blueprint.kind}") if root else contextlib.nullcontext()
    with session:
        error = _mesh_on_root(blueprint, mesh_file) if root else None
        error = comm.bcast(error, root=0)
        if error is not None:
            raise GeometryError(f"meshing the {blueprint.kind} geometry failed: {error}")
        data = dolfinx.io.gmsh.model_to_mesh(
            gmsh.model if root else None, comm, 0, gdim=blueprint.gdim, partitioner=shared_facet_partitioner(comm)
        )
    data.mesh.geometry.x[:, : blueprint.gdim] *= blueprint.scale
    tdim = data.mesh.topology.dim
    return (data.mesh, data.cell_tags, data.facet_tags, _named(data.physical_groups, tdim, blueprint.regions),
            _named(data.physical_groups, tdim - 1, blueprint.boundaries))


def _mesh_on_root(blueprint: Blueprint, mesh_file: Path | None) -> str | None:
    """Draw, mesh and optionally save; return the error message or None."""
    from chemomech.geometry import gmsh_model

    try:
        blueprint.draw()
        gmsh_model.generate(blueprint.gdim)
        if mesh_file is not None:
            Path(mesh_file).parent.mkdir(parents=True, exist_ok=True)
            gmsh_model.write(mesh_file, blueprint.scale)
    except Exception as exc:  # any failure must reach every rank, not hang them
        return f"{type(exc).__name__}: {exc}"
    return None


def _analysed(blueprint: Blueprint, mesh, cell_tags, regions: dict[str, int]) -> dict:
    """The blueprint's metrics of the distributed mesh, measured by every rank (collective), or {}."""
    if blueprint.analyse is None:
        return {}
    try:
        return blueprint.analyse(mesh, cell_tags, {tag: name for name, tag in regions.items()})
    except ValueError as err:  # raised on every rank (collective checks)
        raise GeometryError(f"measuring the {blueprint.kind} mesh failed: {err}") from err


def shared_facet_partitioner(comm: MPI.Comm):
    """Cell partitioner ghosting across shared facets (needed for interface integrals ``dS``)."""
    if comm.size == 1:
        return None
    return dolfinx.mesh.create_cell_partitioner(dolfinx.mesh.GhostMode.shared_facet, 2)


def _named(groups: dict, dim: int, expected: tuple[str, ...]) -> dict[str, int]:
    """Tag value of each physical group of dimension ``dim``: the expected ones
    first (all must exist), then any others the drawing made (interfaces that
    depend on the data, such as those of a particle packing or an image)."""
    found = {name: int(group.tag) for name, group in groups.items() if group.dim == dim}
    missing = [name for name in expected if name not in found]
    if missing:  # physical groups are broadcast: every rank agrees
        raise GeometryError(f"the mesh lacks the physical groups {missing}")
    extra = sorted((tag, name) for name, tag in found.items() if name not in expected)
    return {name: found[name] for name in expected} | {name: tag for tag, name in extra}
