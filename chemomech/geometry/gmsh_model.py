"""Helpers that run on the meshing rank while a gmsh model is open.

The model is drawn in a scaled length unit (see ``Blueprint.scale``) so that
OpenCASCADE's absolute tolerances (about 1e-7 model units) stay negligible for
micrometre features; the coordinates are converted back to metres when the
mesh is saved and after it is distributed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator

import gmsh

VERBOSE_ENV = "CHEMOMECH_GMSH_VERBOSE"
"""Set this environment variable to a non-empty value other than ``0`` to let
gmsh print its log."""

PLANE_TOL = 1e-9
"""Tolerance (model units, geometry of size about 1) for 'lies on a plane'."""


@contextlib.contextmanager
def gmsh_session(name: str) -> Iterator[None]:
    """Open a fresh gmsh model called ``name``; close it however the block ends.

    A gmsh session already opened by the caller is left running (only the
    model is removed); otherwise gmsh is initialised here and finalised on exit.
    """
    owns_gmsh = not gmsh.isInitialized()
    if owns_gmsh:
        gmsh.initialize(readConfigFiles=False, interruptible=False)
    try:
        verbose = os.environ.get(VERBOSE_ENV, "") not in ("", "0")
        gmsh.option.setNumber("General.Terminal", 1 if verbose else 0)
        gmsh.model.add(name)
        yield
    finally:
        if owns_gmsh:
            gmsh.finalize()
        else:
            gmsh.model.remove()


def center_of_mass(dim: int, tag: int) -> tuple[float, float, float]:
    """Centre of mass of an OCC entity."""
    return tuple(gmsh.model.occ.getCenterOfMass(dim, tag))


def classify_facets(
    tdim: int,
    region_of: dict[int, str],
    planes: dict[str, tuple[int, float]],
    interface_name: Callable[[str, str], str],
    otherwise: str | Callable[[str], str],
) -> dict[str, list[int]]:
    """Sort the facet entities (dimension ``tdim - 1``) of the model by name.

    A facet shared by two cell entities is an internal interface, named by
    ``interface_name(region_a, region_b)``. An outer facet whose centre of mass
    lies on one of ``planes`` (name -> (coordinate index, value)) takes that
    name; planar facets have their centre of mass on their plane, and no other
    facet of these geometries does. Any other facet (the curved or far side)
    is called ``otherwise``, or ``otherwise(region)`` after the region it bounds.
    """
    groups: dict[str, list[int]] = {}
    for _, tag in gmsh.model.getEntities(tdim - 1):
        up, _ = gmsh.model.getAdjacencies(tdim - 1, tag)
        if len(up) == 2:
            name = interface_name(region_of[int(up[0])], region_of[int(up[1])])
        else:
            com = center_of_mass(tdim - 1, tag)
            other = otherwise if isinstance(otherwise, str) else otherwise(region_of[int(up[0])])
            name = next(
                (plane for plane, (axis, value) in planes.items()
                 if abs(com[axis] - value) < PLANE_TOL),
                other,
            )
        groups.setdefault(name, []).append(tag)
    return groups


def add_physical_groups(dim: int, groups: dict[str, list[int]], order: tuple[str, ...]) -> None:
    """Add one named physical group per name in ``order``, tagged 1, 2, ... in that order.

    Raises ``RuntimeError`` when an expected name has no entity or an entity
    got a name outside ``order``: the geometry did not come out as drawn.
    """
    unexpected = sorted(set(groups) - set(order))
    missing = [name for name in order if not groups.get(name)]
    if unexpected or missing:
        raise RuntimeError(
            f"dimension-{dim} entities do not match the expected groups "
            f"(missing {missing}, unexpected {unexpected})"
        )
    for tag, name in enumerate(order, start=1):
        gmsh.model.addPhysicalGroup(dim, groups[name], tag=tag, name=name)


def generate(tdim: int) -> None:
    """Mesh the model with linear simplices and check every region has cells."""
    gmsh.model.mesh.generate(tdim)
    for _, group in gmsh.model.getPhysicalGroups(tdim):
        count = sum(
            len(tags)
            for entity in gmsh.model.getEntitiesForPhysicalGroup(tdim, group)
            for tags in gmsh.model.mesh.getElements(tdim, int(entity))[1]
        )
        if count == 0:
            name = gmsh.model.getPhysicalName(tdim, group)
            raise RuntimeError(f"region {name!r} has no cells after meshing")


def write(path: os.PathLike, scale: float) -> None:
    """Write the mesh as ``.msh`` with coordinates in metres."""
    gmsh.option.setNumber("Mesh.ScalingFactor", scale)
    try:
        gmsh.write(os.fspath(path))
    finally:
        gmsh.option.setNumber("Mesh.ScalingFactor", 1.0)
