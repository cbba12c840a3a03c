"""Geometry builders: gmsh models meshed on rank 0 and distributed as DOLFINx meshes.

``build_domain(geometry, comm)`` turns the geometry section of a case into a
:class:`Domain` (mesh, cell and facet tags, region and boundary names).
"""

from chemomech.geometry.base import GeometryError
from chemomech.geometry.domain import Domain, build_domain

__all__ = ["Domain", "GeometryError", "build_domain"]
