"""A free spherical (axisymmetric, 3D) or cylindrical (plane strain) particle.

A quarter disc (2D) or an octant of a ball (3D) of radius R = radius,
centred at the origin: one region "particle", the symmetry planes x = 0
("symmetry_x", the axis in axisymmetry), y = 0 in 3D ("symmetry_y") and the
plane of the last coordinate = 0 ("symmetry_z"), and the free outer surface
r = R ("surface"), through which a single-particle lithiation model takes
its current. The symmetry planes hold their normal displacement, which also
removes the rigid-body modes.
"""

from __future__ import annotations

import math
from functools import partial

import gmsh

from chemomech.geometry import sector
from chemomech.geometry.base import KINDS, Blueprint, GeometryError

REGIONS = ("particle",)
SURFACES = ("surface",)

DEFAULT_SIZE_FRACTION = 1 / 10
"""Default element size as a fraction of the radius."""


def default_mesh_size(geometry) -> float:
    """``geometry.mesh_size``, or a tenth of the radius."""
    if geometry.mesh_size is not None:
        return float(geometry.mesh_size)
    return float(geometry.radius) * DEFAULT_SIZE_FRACTION


def blueprint(geometry) -> Blueprint:
    """Everything about the particle model known before meshing."""
    radius = float(geometry.radius)
    if not radius > 0:
        raise GeometryError(f"need a positive radius, got {radius} m")
    gdim = KINDS[geometry.dimension]
    return Blueprint(
        kind=geometry.dimension,
        scale=radius,
        regions=REGIONS,
        boundaries=sector.boundaries(gdim, SURFACES),
        loaded_area=math.pi * radius**2,
        height=radius,
        layer_bounds={},
        draw=partial(_draw, geometry, gdim, radius),
        rollers=sector.symmetry_rollers(gdim),
    )


def _draw(geometry, gdim: int, scale: float) -> None:
    """Build the model in units of the radius, with groups and size field."""
    _, body = sector.sector(gdim, 1.0)
    gmsh.model.occ.synchronize()
    fine = geometry.surface_mesh_size
    sector.tag_and_size(
        gdim,
        {body: "particle"},
        REGIONS,
        SURFACES,
        default_mesh_size(geometry) / scale,
        None if fine is None else ("surface", float(fine) / scale),
    )
