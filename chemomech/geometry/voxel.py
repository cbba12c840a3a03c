"""Voxel images (geometry ``type: voxel``): every voxel split into simplices.

Voxel (i, j, k) of an image with edges (h_x, h_y, h_z) is the box
[i, i+1] h_x × [j, j+1] h_y × [k, k+1] h_z; the image fills
[0, n_x h_x] × [0, n_y h_y] × [0, n_z h_z] (plane strain: x and z). Each voxel
is cut into six tetrahedra by Kuhn's (Freudenthal's) split: one tetrahedron
per ordering of the axes, along the path of edges that steps through the
axes in that order from corner (i, j, k) to corner (i+1, j+1, k+1). Every
voxel is cut alike, so a face shared by two voxels is cut along the same
diagonal from both sides and the mesh conforms. A pixel is cut into two
triangles along the diagonal from (i, k) to (i+1, k+1).
"""

from __future__ import annotations

from functools import partial
from itertools import permutations

import numpy as np

from chemomech.geometry import discrete
from chemomech.geometry.base import Blueprint


def kuhn_simplices(gdim: int) -> np.ndarray:
    """Corner offsets (gdim!, gdim + 1, gdim) of the simplices of the unit cube (square)."""
    paths = []
    for axes in permutations(range(gdim)):
        corner = np.zeros(gdim, dtype=np.int64)
        path = [corner.copy()]
        for axis in axes:
            corner[axis] = 1
            path.append(corner.copy())
        paths.append(path)
    return np.array(paths)


def voxel_simplices(shape: tuple[int, ...], spacing) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(points (N, gdim) in metres, simplices (M, gdim + 1), voxel (M,)) of an image grid.

    Points are the grid nodes, numbered in C order; ``voxel`` is the C-order
    flat index of the voxel each simplex lies in.
    """
    gdim = len(shape)
    nodes = tuple(n + 1 for n in shape)
    strides = np.array([int(np.prod(nodes[axis + 1:])) for axis in range(gdim)], dtype=np.int64)
    corners = np.indices(shape).reshape(gdim, -1).T @ strides
    offsets = kuhn_simplices(gdim) @ strides
    cells = (corners[:, None, None] + offsets[None]).reshape(-1, gdim + 1)
    voxel = np.repeat(np.arange(corners.size), len(offsets))
    points = np.indices(nodes).reshape(gdim, -1).T * np.asarray(spacing, dtype=float)
    return points, cells, voxel


def phase_mesh(labels: np.ndarray, spacing, phase_labels: np.ndarray, names: tuple[str, ...],
               void: str | None) -> discrete.PhaseMesh:
    """The simplex mesh of a label image (axes x, [y,] z); ``phase_labels[i]`` is phase i's label."""
    points, cells, voxel = voxel_simplices(labels.shape, spacing)
    sorter = np.argsort(phase_labels)
    phases = sorter[np.searchsorted(phase_labels, labels.reshape(-1)[voxel], sorter=sorter)]
    return discrete.PhaseMesh(points, cells, phases, names, void)


def blueprint(geometry) -> Blueprint:
    """The voxel image of a validated ``VoxelGeometry``, as a box domain.

    The box comes from the validation; the image is read when the meshing rank draws the blueprint.
    """
    names = tuple(geometry.phases)
    return discrete.box_blueprint(
        geometry.dimension, geometry.box_lengths(), names, geometry.void_phase, partial(_image_mesh, geometry)
    )


def _image_mesh(geometry) -> discrete.PhaseMesh:
    """``phase_mesh`` of the image file of ``geometry``."""
    phase_labels = np.array([phase.label for phase in geometry.phases.values()])
    return phase_mesh(geometry.labels(), geometry.spacing(), phase_labels, tuple(geometry.phases), geometry.void_phase)
