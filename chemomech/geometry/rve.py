"""Generated particle RVE: a box of randomly packed particles in a matrix.

The packing (chemomech.microstructure.packing) is computed identically on
every rank from the case's seed; the meshing rank draws it with OpenCASCADE:

1. each particle, a solid one clipped to the box where it crosses a face
   (``boundary: cut``); an attached one (``attach_to``, pores too) with its
   host cut out of it, so that the lens they share is the host's and the two
   touch along a spherical cap whose rim, where it leaves the matrix, is the
   triple-phase line (two points in 2D);
2. the box, with the void particles (pores) cut out of it;
3. one boolean fragment of the box with the solid particles, which makes every
   interface conforming. A fragment piece that comes from a particle takes
   that particle's phase, the rest is the matrix.

Regions are the matrix and the solid particle phases; facets are named as in
chemomech.geometry.box (faces, ``interface:a/b``, ``surface:a`` for pore
surfaces). Elements are ``interface_mesh_size`` on every particle surface,
growing to ``mesh_size`` in the matrix. The model unit is the box height.

Once the mesh is distributed, ``analyse`` measures it on every rank
(chemomech.microstructure.distributed_metrics) and adds the packing's exact
fractions and particle size distributions: the content of microstructure.json.
"""

from __future__ import annotations

from functools import partial

import gmsh
import numpy as np

from chemomech.geometry import box, gmsh_model, sizing
from chemomech.geometry.base import KINDS, Blueprint, GeometryError
from chemomech.microstructure import PackingError, PhaseSpec, pack, size_distribution
from chemomech.microstructure.distributed_metrics import distributed_mesh_metrics

INTERFACE_SIZE_FRACTION = 1 / 5
"""Default interface element size as a fraction of the smallest mean radius:
faceted spheres then lose about 1–2 % of their volume."""


def default_mesh_size(geometry) -> float:
    """``geometry.mesh_size``, or the smallest mean particle radius."""
    if geometry.mesh_size is not None:
        return float(geometry.mesh_size)
    return min(float(phase.radius) for phase in geometry.particles)


def packing_of(geometry):
    """The particle packing of the case (deterministic in the seed)."""
    specs = [
        PhaseSpec(
            name=phase.name,
            volume_fraction=float(phase.volume_fraction),
            radius=float(phase.radius),
            radius_spread=float(phase.radius_spread),
            radii=None if phase.radii is None else tuple(float(r) for r in phase.radii),
            attach_to=phase.attach_to,
            overlap=float(phase.overlap),
        )
        for phase in geometry.particles
    ]
    try:
        return pack(
            tuple(float(length) for length in geometry.size),
            specs,
            seed=geometry.seed,
            min_gap=float(geometry.min_gap),
            boundary=geometry.boundary,
        )
    except PackingError as err:
        raise GeometryError(f"packing the RVE failed: {err}") from err


def blueprint(geometry) -> Blueprint:
    """Everything about the RVE known before meshing (the same on all ranks)."""
    gdim = KINDS[geometry.dimension]
    lengths = tuple(float(length) for length in geometry.size)
    kinds = geometry.region_kinds()
    regions = tuple(name for name, kind in kinds.items() if kind != "void")
    packing = packing_of(geometry)
    scale = lengths[-1]
    top_area = float(np.prod(lengths[:-1]))  # L_x L_y, or L_x times a unit depth
    return Blueprint(
        kind=geometry.dimension,
        scale=scale,
        regions=regions,
        boundaries=box.faces(gdim),
        loaded_area=top_area,
        height=lengths[-1],
        layer_bounds={},
        draw=partial(_draw, geometry, packing, gdim, scale, regions),
        rollers=box.rollers(gdim),
        analyse=partial(_analyse, geometry, packing),
    )


def _draw(geometry, packing, gdim: int, scale: float, regions: tuple[str, ...]) -> None:
    """Draw, fragment, name and size the RVE in model units (box height 1)."""
    occ = gmsh.model.occ
    lengths = [length / scale for length in packing.box]
    kinds = geometry.region_kinds()
    cell = _box(gdim, lengths)
    shapes = {
        k: _particle(gdim, p, scale) if kinds[p.phase] == "void" else _clipped(gdim, p, scale, lengths)
        for k, p in enumerate(packing.particles)
    }
    for k, particle in enumerate(packing.particles):
        if particle.host is not None:  # hosts are solid and free (schema): their shapes are final
            shapes[k] = _cut_by_host(shapes[k], shapes[particle.host], particle.phase)
    voids = [shapes.pop(k) for k, p in enumerate(packing.particles) if kinds[p.phase] == "void"]
    if voids:
        cut, _ = occ.cut([cell], voids)
        if len(cut) != 1:
            raise RuntimeError(f"cutting the pores left {len(cut)} matrix pieces")
        cell = cut[0]
    _, pieces = occ.fragment([cell], list(shapes.values()))
    occ.synchronize()

    region_of = {tag: geometry.matrix.name for _, tag in pieces[0]}
    for k, made in zip(shapes, pieces[1:], strict=True):
        region_of |= {tag: packing.particles[k].phase for _, tag in made}
    cells_of = {name: [tag for tag, owner in region_of.items() if owner == name] for name in regions}
    planes = box.face_planes(gdim, lengths)
    facets = gmsh_model.classify_facets(
        gdim, region_of, planes, partial(box.interface_name, order=regions), box.surface_name
    )
    faces = box.faces(gdim)
    gmsh_model.add_physical_groups(gdim, cells_of, regions)
    gmsh_model.add_physical_groups(gdim - 1, facets, faces + tuple(sorted(set(facets) - set(faces))))

    coarse = default_mesh_size(geometry) / scale
    fine = min(float(phase.radius) for phase in geometry.particles) * INTERFACE_SIZE_FRACTION / scale
    if geometry.interface_mesh_size is not None:
        fine = float(geometry.interface_mesh_size) / scale
    surfaces = [tag for name, tags in facets.items() if name not in faces for tag in tags]
    sizing.use(sizing.near(gdim - 1, surfaces, fine, coarse) if surfaces else sizing.uniform(coarse))


def _box(gdim: int, lengths) -> tuple[int, int]:
    occ = gmsh.model.occ
    if gdim == 3:
        return 3, occ.addBox(0, 0, 0, *lengths)
    return 2, occ.addRectangle(0, 0, 0, *lengths)


def _particle(gdim: int, particle, scale: float) -> tuple[int, int]:
    """A sphere (3D) or disc (2D) in model units."""
    occ = gmsh.model.occ
    centre = [c / scale for c in particle.center]
    radius = particle.radius / scale
    if gdim == 3:
        return 3, occ.addSphere(*centre, radius)
    return 2, occ.addDisk(centre[0], centre[1], 0, radius, radius)


def _clipped(gdim: int, particle, scale: float, lengths) -> tuple[int, int]:
    """The particle, intersected with the box where it crosses a face."""
    shape = _particle(gdim, particle, scale)
    centre, radius = np.asarray(particle.center) / scale, particle.radius / scale
    if np.all(centre - radius > 0) and np.all(centre + radius < lengths):
        return shape
    clipped, _ = gmsh.model.occ.intersect([shape], [_box(gdim, lengths)])
    if len(clipped) != 1:
        raise RuntimeError(f"clipping a {particle.phase} particle to the box gave {len(clipped)} pieces")
    return clipped[0]


def _cut_by_host(shape: tuple[int, int], host: tuple[int, int], phase: str) -> tuple[int, int]:
    """The attached particle's shape less its host's, which is kept."""
    cut, _ = gmsh.model.occ.cut([shape], [host], removeTool=False)
    if len(cut) != 1:
        raise RuntimeError(f"cutting a {phase} particle by its host gave {len(cut)} pieces")
    return cut[0]


def _analyse(geometry, packing, mesh, cell_tags, regions: dict[int, str]) -> dict:
    """Microstructure metrics of the meshed RVE, measured on the distributed mesh (collective), and
    its packing (JSON-ready)."""
    lengths = np.asarray(packing.box)
    kinds = geometry.region_kinds()
    voids = [name for name, kind in kinds.items() if kind == "void"]
    metrics = distributed_mesh_metrics(
        mesh,
        cell_tags,
        regions,
        box=(np.zeros(len(lengths)), lengths),
        void_phase=voids[0] if len(voids) == 1 else None,
        triple=None if geometry.triple_phase is None else tuple(geometry.triple_phase),
    )
    particles = [phase.name for phase in geometry.particles]
    return {
        "box [m]": lengths.tolist(),
        "seed": geometry.seed,
        "boundary": geometry.boundary,
        "particle_count": {name: int(packing.radii(name).size) for name in particles},
        "target_volume_fractions [-]": {phase.name: phase.volume_fraction for phase in geometry.particles},
        "packed_volume_fractions [-]": packing.volume_fractions(),
        "particle_size_distribution": {name: size_distribution(packing.radii(name)) for name in particles},
        "mesh": metrics,
        "mesh_cells": int(mesh.topology.index_map(mesh.topology.dim).size_global),
    }
