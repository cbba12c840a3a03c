"""Shared pieces of the geometry builders: the error type and the blueprint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chemomech.errors import GeometryError

__all__ = ["KINDS", "Blueprint", "GeometryError"]

KINDS = {"plane_strain": 2, "axisymmetric": 2, "3d": 3}
"""Domain kind -> geometric (and topological) dimension."""


@dataclass(frozen=True)
class Blueprint:
    """What a builder knows before meshing, identically on every rank.

    ``draw`` runs on the meshing rank inside an open gmsh model: it creates
    the geometry in model units (1 model unit = ``scale`` metres), the
    physical groups named ``regions`` (cells, tagged 1, 2, ... in order) and
    ``boundaries`` (facets, likewise), and the element-size field.
    ``rollers`` maps boundary names to the displacement components held at
    zero there (frictionless supports and symmetry planes). ``analyse``, if
    given, describes the meshed geometry (microstructure metrics) as a
    JSON-ready dict: it runs on every rank once the mesh is distributed,
    ``analyse(mesh, cell_tags, regions)`` with ``regions`` {cell tag: name},
    collectively (chemomech.microstructure.distributed_metrics), and returns
    the same dict on every rank. ``distribute``, if given, makes and
    distributes the mesh without gmsh, collectively: ``distribute(comm)``
    returns the mesh (in metres), its cell and facet tags, {region: tag}
    and {boundary: tag}, and raises RuntimeError on every rank for a
    failure; ``draw`` is then only used to save the mesh as ``.msh``.
    """

    kind: str
    scale: float
    regions: tuple[str, ...]
    boundaries: tuple[str, ...]
    loaded_area: float
    height: float
    layer_bounds: dict[str, tuple[float, float]]
    draw: Callable[[], None]
    rollers: dict[str, tuple[int, ...]]
    analyse: Callable[..., dict] | None = None
    distribute: Callable[..., tuple] | None = None

    @property
    def gdim(self) -> int:
        """Geometric dimension of the mesh."""
        return KINDS[self.kind]
