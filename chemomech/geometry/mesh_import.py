"""Meshes from files (geometry ``type: mesh``): tagged triangles or tetrahedra as a box domain.

The mesh (all its cells, the void phase's included) is shifted so that its
bounding box starts at the origin; that box is the domain's box, whose faces
carry the plunger and the rollers (chemomech.geometry.discrete names them).
"""

from __future__ import annotations

import numpy as np

from chemomech.geometry import discrete
from chemomech.geometry.base import Blueprint


def blueprint(geometry) -> Blueprint:
    """The mesh of a validated ``MeshFileGeometry``, as a box domain."""
    points, cells, tags = geometry.simplices()
    used = np.unique(cells)
    points = points - points[used].min(axis=0)
    names = tuple(geometry.phases)
    phase_tags = np.array([phase.tag for phase in geometry.phases.values()])
    sorter = np.argsort(phase_tags)
    phases = sorter[np.searchsorted(phase_tags, tags, sorter=sorter)]
    mesh = discrete.PhaseMesh(points, cells, phases, names, geometry.void_phase)
    lengths = points[used].max(axis=0)
    return discrete.box_blueprint(geometry.dimension, lengths, names, geometry.void_phase, lambda: mesh)
