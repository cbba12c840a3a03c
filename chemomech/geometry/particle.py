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

from chemomech.geometry import gmsh_model, sizing
from chemomech.geometry.base import KINDS, Blueprint, GeometryError
from chemomech.geometry.inclusion import sector

REGIONS = ("particle",)
BOUNDARIES_2D = ("symmetry_x", "symmetry_z", "surface")
BOUNDARIES_3D = ("symmetry_x", "symmetry_y", "symmetry_z", "surface")

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
    held = {"symmetry_x": (0,), "symmetry_z": (gdim - 1,)}
    if gdim == 3:
        held["symmetry_y"] = (1,)
    return Blueprint(
        kind=geometry.dimension,
        scale=radius,
        regions=REGIONS,
        boundaries=BOUNDARIES_3D if gdim == 3 else BOUNDARIES_2D,
        loaded_area=math.pi * radius**2,
        height=radius,
        layer_bounds={},
        draw=partial(_draw, geometry, gdim, radius),
        rollers=held,
    )


def _draw(geometry, gdim: int, scale: float) -> None:
    """Build the model in units of the radius, with groups and size field."""
    body = sector(gdim, 1.0)
    gmsh.model.occ.synchronize()
    planes = {"symmetry_x": (0, 0.0), "symmetry_z": (gdim - 1, 0.0)}
    if gdim == 3:
        planes["symmetry_y"] = (1, 0.0)
    region_of = {body[1]: "particle"}
    facets = gmsh_model.classify_facets(gdim, region_of, planes, lambda *_: "interface", "surface")
    gmsh_model.add_physical_groups(gdim, {"particle": [body[1]]}, REGIONS)
    gmsh_model.add_physical_groups(gdim - 1, facets, BOUNDARIES_3D if gdim == 3 else BOUNDARIES_2D)
    coarse = default_mesh_size(geometry) / scale
    fine = geometry.surface_mesh_size
    if fine is None:
        sizing.use(sizing.uniform(coarse))
    else:
        sizing.use(sizing.near(gdim - 1, facets["surface"], float(fine) / scale, coarse))
