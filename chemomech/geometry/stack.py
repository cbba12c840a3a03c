"""Layered pellet stack: half plane (plane strain), axisymmetric section or quarter cylinder.

Coordinates (x or r, [y,] z): bottom of the stack at z = 0, layers stacked
upward in list order, symmetry plane / axis at x = 0 (and y = 0 in 3D),
outer surface at radius R = diameter / 2. Each layer is one region named after
it; layers share conforming interfaces (OCC fragment in 2D, shared extrusion
surfaces in 3D).

In 3D the quarter disc is triangulated once at the in-plane size and extruded
through the layers one after the other (tetrahedra from split prisms): every
lateral and symmetry facet lies in a vertical plane, and the bottom, top and
interface facets are exactly horizontal, so a frictionless die wall is truly
vertical and thin layers get flat but regular elements. A layer's
``mesh_size`` then sets only its number of element layers,
``max(1, ceil(thickness / mesh_size))``; the in-plane size is the stack's.
"""

from __future__ import annotations

import math
from functools import partial
from itertools import pairwise

import gmsh

from chemomech.geometry import gmsh_model, sizing
from chemomech.geometry.base import KINDS, Blueprint, GeometryError

OUTER_BOUNDARIES = ("bottom", "top", "lateral", "symmetry_x", "symmetry_y")
"""Outer boundary names; ``symmetry_y`` exists in 3D only."""

DEFAULT_FLOOR = {2: 1 / 200, 3: 1 / 40}
"""Without ``mesh_size``, elements are never smaller than diameter times this
(by geometric dimension): thin layers in a wide pellet would otherwise ask
for millions of tetrahedra."""


def interface_name(lower: str, upper: str) -> str:
    """Name of the internal boundary between two consecutive layers."""
    return f"interface:{lower}/{upper}"


def default_mesh_size(geometry) -> float:
    """``geometry.mesh_size``; else a quarter of the thinnest layer, but at least
    diameter/40 in 3D and diameter/200 in 2D."""
    if geometry.mesh_size is not None:
        return float(geometry.mesh_size)
    thinnest = min(float(layer.thickness) for layer in geometry.layers)
    return max(thinnest / 4, float(geometry.diameter) * DEFAULT_FLOOR[KINDS[geometry.dimension]])


def element_layers(geometry) -> list[int]:
    """Element layers through each layer's thickness in the 3D extruded mesh:
    ``max(1, ceil(thickness / size))`` with the layer's ``mesh_size``, else the
    stack's (:func:`default_mesh_size`)."""
    default = default_mesh_size(geometry)
    counts = []
    for layer in geometry.layers:
        size = float(layer.mesh_size) if layer.mesh_size is not None else default
        # a thickness that is a whole number of sizes up to rounding gets that number
        counts.append(max(1, math.ceil(float(layer.thickness) / size * (1 - 1e-12))))
    return counts


def layer_bounds(geometry) -> dict[str, tuple[float, float]]:
    """Layer name -> (z_bottom, z_top), stacking the layers upward from z = 0."""
    bounds, z = {}, 0.0
    for layer in geometry.layers:
        bounds[layer.name] = (z, z + float(layer.thickness))
        z += float(layer.thickness)
    return bounds


def blueprint(geometry) -> Blueprint:
    """Everything about the stack known before meshing (the same on all ranks)."""
    names = [layer.name for layer in geometry.layers]
    if not names:
        raise GeometryError("a stack needs at least one layer")
    if len(set(names)) != len(names):
        raise GeometryError(f"layer names must be unique, got {names}")
    gdim = KINDS[geometry.dimension]
    outer = OUTER_BOUNDARIES if gdim == 3 else OUTER_BOUNDARIES[:-1]
    clashes = sorted(set(names) & set(outer))
    if clashes:
        raise GeometryError(f"layer names {clashes} clash with boundary names")
    radius = float(geometry.diameter) / 2
    bounds = layer_bounds(geometry)
    boundaries = outer + tuple(interface_name(a, b) for a, b in pairwise(names))
    return Blueprint(
        kind=geometry.dimension,
        scale=radius,
        regions=tuple(names),
        boundaries=boundaries,
        loaded_area=math.pi * radius**2,
        height=max(top for _, top in bounds.values()),
        layer_bounds=bounds,
        draw=partial(_draw_extruded if gdim == 3 else _draw, geometry, gdim, radius, tuple(names), boundaries),
        rollers=rollers(gdim, geometry.lateral),
    )


def rollers(gdim: int, lateral: str) -> dict[str, tuple[int, ...]]:
    """Held displacement components: the bottom plunger u_z = 0, the symmetry
    planes (u_x = 0 on x = 0, the axis in axisymmetry; u_y = 0 on y = 0 in 3D)
    and, for a ``die_wall``, the wall's horizontal components. The 3D wall is
    a polygon of vertical facets: holding both horizontal components of its
    nodes makes u·n = 0 on both facets a node joins (tangential sliding along
    the wall is not modelled; it vanishes for axisymmetric loading)."""
    held = {"bottom": (gdim - 1,), "symmetry_x": (0,)}
    if gdim == 3:
        held["symmetry_y"] = (1,)
    if lateral == "die_wall":
        held["lateral"] = (0, 1) if gdim == 3 else (0,)
    return held


def _draw(geometry, gdim: int, scale: float, regions: tuple[str, ...], boundaries: tuple[str, ...]) -> None:
    """Build the 2D stack in model units (radius 1) with its groups and size field."""
    occ = gmsh.model.occ
    bounds = [(low / scale, high / scale) for low, high in layer_bounds(geometry).values()]
    for low, high in bounds:
        occ.addRectangle(0, low, 0, 1.0, high - low)
    cells = occ.getEntities(gdim)
    if len(cells) > 1:
        occ.fragment(cells[:1], cells[1:])
    occ.synchronize()

    region_of = {tag: _layer_at(geometry, bounds, gmsh_model.center_of_mass(gdim, tag)[gdim - 1])
                 for _, tag in gmsh.model.getEntities(gdim)}
    height = bounds[-1][1]
    planes = {"bottom": (gdim - 1, 0.0), "top": (gdim - 1, height), "symmetry_x": (0, 0.0)}
    facets = gmsh_model.classify_facets(gdim, region_of, planes, _ordered(geometry), "lateral")
    cells_of = {name: [tag for tag, owner in region_of.items() if owner == name] for name in regions}
    gmsh_model.add_physical_groups(gdim, cells_of, regions)
    gmsh_model.add_physical_groups(gdim - 1, facets, boundaries)

    default = default_mesh_size(geometry)
    sizes = [float(layer.mesh_size if layer.mesh_size is not None else default) / scale
             for layer in geometry.layers]
    sizing.use(sizing.slabs(bounds, sizes, axis=gdim - 1))


def _draw_extruded(geometry, gdim: int, scale: float, regions: tuple[str, ...],
                   boundaries: tuple[str, ...]) -> None:
    """Build the quarter cylinder (model units, radius 1) by extruding a
    triangulated quarter disc through the layers, with its groups and sizes."""
    assert gdim == 3
    geo = gmsh.model.geo
    for layer in geometry.layers:
        if not float(layer.thickness) > 0:
            raise RuntimeError(f"layer {layer.name!r} has thickness {layer.thickness}; it must be positive")
    origin, east, north = geo.addPoint(0, 0, 0), geo.addPoint(1, 0, 0), geo.addPoint(0, 1, 0)
    on_y0 = geo.addLine(origin, east)  # sweeps the plane y = 0
    arc = geo.addCircleArc(east, origin, north)  # sweeps the die wall r = 1
    on_x0 = geo.addLine(north, origin)  # sweeps the plane x = 0
    bottom = geo.addPlaneSurface([geo.addCurveLoop([on_y0, arc, on_x0])])

    bounds = [(low / scale, high / scale) for low, high in layer_bounds(geometry).values()]
    sides = {"symmetry_y": [], "lateral": [], "symmetry_x": []}
    facets: dict[str, list[int]] = {"bottom": [bottom]}
    cells_of: dict[str, list[int]] = {}
    base = bottom
    for i, (layer, (low, high), count) in enumerate(
            zip(geometry.layers, bounds, element_layers(geometry), strict=True)):
        out = geo.extrude([(2, base)], 0, 0, high - low, numElements=[count], recombine=False)
        # geo.extrude returns the top surface, the volume, then one side per
        # boundary curve of the source, in the curve loop's order
        (top_dim, top), (vol_dim, volume), *walls = out
        if top_dim != 2 or vol_dim != 3 or len(walls) != 3 or any(d != 2 for d, _ in walls):
            raise RuntimeError(f"unexpected extrusion result {out} for layer {layer.name!r}")
        for name, (_, wall) in zip(sides, walls, strict=True):
            sides[name].append(wall)
        cells_of[layer.name] = [volume]
        if i + 1 < len(geometry.layers):
            facets[interface_name(layer.name, geometry.layers[i + 1].name)] = [top]
        else:
            facets["top"] = [top]
        base = top
    geo.synchronize()
    facets.update(sides)
    gmsh_model.add_physical_groups(gdim, cells_of, regions)
    gmsh_model.add_physical_groups(gdim - 1, facets, boundaries)
    sizing.use(sizing.uniform(default_mesh_size(geometry) / scale))


def _layer_at(geometry, bounds, z: float) -> str:
    """Name of the layer whose slab contains height ``z`` (model units)."""
    for layer, (low, high) in zip(geometry.layers, bounds, strict=True):
        if low < z < high:
            return layer.name
    raise RuntimeError(f"no layer contains z = {z}")


def _ordered(geometry):
    """Interface namer that puts the lower layer first."""
    order = {layer.name: i for i, layer in enumerate(geometry.layers)}

    def name(a: str, b: str) -> str:
        lower, upper = sorted((a, b), key=order.__getitem__)
        return interface_name(lower, upper)

    return name
