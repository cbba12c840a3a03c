"""Spherical (axisymmetric, 3D) or cylindrical (plane strain) inclusion in a matrix shell.

A quarter disc (2D) or an octant of a ball (3D) of radius b = outer_radius,
centred at the origin, containing the concentric inclusion of radius
a = inclusion_radius. Symmetry planes x = 0 ("symmetry_x", the axis in
axisymmetry), y = 0 in 3D ("symmetry_y") and the plane of the last coordinate
= 0 ("symmetry_z"; the second coordinate in 2D). The outer surface r = b is
"outer" and the internal surface r = a is "interface".
"""

from __future__ import annotations

import math
from functools import partial

import gmsh

from chemomech.geometry import sector
from chemomech.geometry.base import KINDS, Blueprint, GeometryError

REGIONS = ("inclusion", "matrix")
SURFACES = ("outer", "interface")

DEFAULT_SIZE_FRACTION = 1 / 8
"""Default element size as a fraction of the inclusion radius."""


def default_mesh_size(geometry) -> float:
    """``geometry.mesh_size``, or an eighth of the inclusion radius."""
    if geometry.mesh_size is not None:
        return float(geometry.mesh_size)
    return float(geometry.inclusion_radius) * DEFAULT_SIZE_FRACTION


def blueprint(geometry) -> Blueprint:
    """Everything about the inclusion model known before meshing."""
    a, b = float(geometry.inclusion_radius), float(geometry.outer_radius)
    if not 0 < a < b:
        raise GeometryError(f"need 0 < inclusion_radius < outer_radius, got a = {a} m, b = {b} m")
    gdim = KINDS[geometry.dimension]
    return Blueprint(
        kind=geometry.dimension,
        scale=b,
        regions=REGIONS,
        boundaries=sector.boundaries(gdim, SURFACES),
        loaded_area=math.pi * b**2,
        height=b,
        layer_bounds={},
        draw=partial(_draw, geometry, gdim, b),
        rollers=_rollers(gdim, geometry.outer_boundary),
    )


def _rollers(gdim: int, outer_boundary: str) -> dict[str, tuple[int, ...]]:
    """Symmetry planes hold their normal component; a ``fixed`` outer surface holds all."""
    held = sector.symmetry_rollers(gdim)
    if outer_boundary == "fixed":
        held["outer"] = tuple(range(gdim))
    return held


def _draw(geometry, gdim: int, scale: float) -> None:
    """Build the model in units of the outer radius, with groups and size field."""
    radius = float(geometry.inclusion_radius) / scale
    inner, outer = sector.sector(gdim, radius), sector.sector(gdim, 1.0)
    _, pieces = gmsh.model.occ.fragment([outer], [inner])
    gmsh.model.occ.synchronize()

    inclusion = {tag for _, tag in pieces[1]}  # what came out of the inner sector
    region_of = {tag: "inclusion" if tag in inclusion else "matrix" for _, tag in pieces[0] + pieces[1]}
    fine = geometry.interface_mesh_size
    sector.tag_and_size(
        gdim,
        region_of,
        REGIONS,
        SURFACES,
        default_mesh_size(geometry) / scale,
        None if fine is None else ("interface", float(fine) / scale),
    )
