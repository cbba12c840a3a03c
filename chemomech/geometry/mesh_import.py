"""Meshes from files (geometry ``type: mesh``): tagged triangles or tetrahedra as a box domain.

The mesh (all its cells, the void phase's included) is shifted so that its
bounding box starts at the origin; that box is the domain's box, whose faces
carry the plunger and the rollers (chemomech.geometry.discrete names them).
"""

from __future__ import annotations

from functools import partial

import numpy as np

from chemomech.geometry import array_mesh, discrete
from chemomech.geometry.base import Blueprint


def blueprint(geometry) -> Blueprint:
    """The mesh of a validated ``MeshFileGeometry``, as a box domain.

    The box comes from the validation; the file is read when the meshing rank draws the blueprint.
    """
    names = tuple(geometry.phases)
    return discrete.box_blueprint(
        geometry.dimension, geometry.box_lengths(), names, geometry.void_phase, partial(phase_mesh, geometry)
    )


def phase_mesh(geometry) -> discrete.PhaseMesh:
    """The cells of the file with their phases, shifted to start at the origin."""
    points, cells, tags = geometry.simplices()
    points = points - points[array_mesh.point_index(cells, len(points)) >= 0].min(axis=0)
    phase_tags = np.array([phase.tag for phase in geometry.phases.values()])
    sorter = np.argsort(phase_tags)
    phases = sorter[np.searchsorted(phase_tags, tags, sorter=sorter)]
    return discrete.PhaseMesh(points, cells, phases, tuple(geometry.phases), geometry.void_phase)
