"""A quarter disc (2D) or an octant of a ball (3D) about the origin, meshed.

Shared by the particle and inclusion geometries. The sector's symmetry planes
are x = 0 ("symmetry_x", the axis in axisymmetry), y = 0 in 3D
("symmetry_y") and the plane of the last coordinate = 0 ("symmetry_z"); each
holds its normal displacement component, which also removes the rigid-body
modes. Facets between two regions are "interface"; the remaining (curved)
outer facets take the name the geometry gives them.
"""

from __future__ import annotations

import math

import gmsh

from chemomech.geometry import gmsh_model, sizing


def boundaries(gdim: int, surfaces: tuple[str, ...]) -> tuple[str, ...]:
    """The facet group names in tag order: the symmetry planes, then ``surfaces``.

    ``surfaces[0]`` names the outer (curved) surface; "interface" may follow.
    """
    planes = ("symmetry_x", "symmetry_y", "symmetry_z") if gdim == 3 else ("symmetry_x", "symmetry_z")
    return planes + surfaces


def symmetry_rollers(gdim: int) -> dict[str, tuple[int, ...]]:
    """Each symmetry plane holds the displacement component normal to it."""
    held = {"symmetry_x": (0,), "symmetry_z": (gdim - 1,)}
    if gdim == 3:
        held["symmetry_y"] = (1,)
    return held


def sector(gdim: int, radius: float) -> tuple[int, int]:
    """Quarter disc (2D) or octant of a ball (3D) of ``radius`` in the positive sector."""
    occ = gmsh.model.occ
    if gdim == 3:
        return 3, occ.addSphere(0, 0, 0, radius, angle1=0.0, angle2=math.pi / 2, angle3=math.pi / 2)
    disc = occ.addDisk(0, 0, 0, radius, radius)
    square = occ.addRectangle(0, 0, 0, radius, radius)
    (quarter,), _ = occ.intersect([(2, disc)], [(2, square)])
    return quarter


def tag_and_size(
    gdim: int,
    region_of: dict[int, str],
    regions: tuple[str, ...],
    surfaces: tuple[str, ...],
    coarse: float,
    refined: tuple[str, float] | None,
) -> None:
    """Add the physical groups of the drawn (synchronised) sectors and their size field.

    ``region_of`` names the region of each cell entity, ``regions`` orders
    the cell groups and ``surfaces`` the facet groups after the symmetry
    planes (see :func:`boundaries`). Sizes are in model
    units: ``coarse`` everywhere, or graded down to ``fine`` near the facet
    group ``name`` where ``refined = (name, fine)``.
    """
    planes = {name: (axis, 0.0) for name, (axis,) in symmetry_rollers(gdim).items()}
    facets = gmsh_model.classify_facets(gdim, region_of, planes, lambda *_: "interface", surfaces[0])
    cells_of = {name: [tag for tag, owner in region_of.items() if owner == name] for name in regions}
    gmsh_model.add_physical_groups(gdim, cells_of, regions)
    gmsh_model.add_physical_groups(gdim - 1, facets, boundaries(gdim, surfaces))
    if refined is None:
        sizing.use(sizing.uniform(coarse))
    else:
        name, fine = refined
        sizing.use(sizing.near(gdim - 1, facets[name], fine, coarse))
