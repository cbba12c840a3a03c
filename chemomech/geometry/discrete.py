"""Box-shaped domains given as simplex arrays, drawn as a discrete gmsh model.

Voxel images and imported meshes both arrive here as a :class:`PhaseMesh`:
points in metres filling the box [0, L_x] × [0, L_y] × [0, L_z] (plane strain:
x and z), linear simplices and the phase of each cell. The cells of the void
phase are left out, and with them the points only they use. Facets are named
(chemomech.geometry.box):

* a box face (``bottom``, ``top``, ``x_min``, ...) where all the vertices of an
  outer facet lie on its plane, within ``FACE_TOL`` times the largest box length;
* ``interface:a/b`` between cells of regions a and b;
* ``surface:a`` where region a meets the void phase, and on any other outer
  facet of region a (the surface of an imported particle, say).

The gmsh model has one discrete entity per region (dimension tdim) and per
facet group (tdim - 1), each in the physical group of its name: regions tagged
1, 2, ... in phase order, then the box faces, interfaces and surfaces. The
mesh is given, so meshing the model changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from itertools import combinations

import gmsh
import numpy as np

from chemomech.geometry import array_mesh, box, gmsh_model
from chemomech.geometry.base import KINDS, Blueprint, GeometryError
from chemomech.microstructure.distributed_metrics import distributed_mesh_metrics
from chemomech.microstructure.metrics import facet_neighbours

FACE_TOL = 1e-6
"""A facet lies on a box face if its vertices are this close to the plane, relative to the box size."""
CELL_TYPE = {2: 2, 3: 4}
"""gmsh element type of the cells by dimension: 3-node triangle, 4-node tetrahedron."""
FACET_TYPE = {2: 1, 3: 2}
"""gmsh element type of the facets by cell dimension: 2-node line, 3-node triangle."""
OUTSIDE = -1
"""Phase index on the far side of an outer facet."""


@dataclass(frozen=True)
class PhaseMesh:
    """A conforming simplex mesh of a box whose cells belong to phases.

    ``points`` (N, gdim) in metres, ``cells`` (M, gdim + 1) point indices,
    ``phases`` (M,) indices into ``names`` (every phase in case order, the
    void phase included), ``void`` the void phase's name or None.
    """

    points: np.ndarray
    cells: np.ndarray
    phases: np.ndarray
    names: tuple[str, ...]
    void: str | None

    @property
    def regions(self) -> tuple[str, ...]:
        """The meshed phases, in order."""
        return tuple(name for name in self.names if name != self.void)


def box_blueprint(kind: str, lengths, names: tuple[str, ...], void: str | None,
                  make: Callable[[], PhaseMesh]) -> Blueprint:
    """The blueprint of a box of edge ``lengths`` (metres, x, [y,] z) whose mesh ``make`` returns.

    ``make`` runs on the meshing rank only; a run distributes its arrays
    (chemomech.geometry.array_mesh), and only a run that saves the mesh
    draws them as a gmsh model. The top face is the plunger
    (``loaded_area`` L_x L_y, or L_x times 1 m in plane strain); rollers hold
    the bottom and the sides (chemomech.geometry.box).
    """
    gdim = KINDS[kind]
    lengths = tuple(float(length) for length in lengths)
    if len(lengths) != gdim or min(lengths) <= 0:
        raise GeometryError(f"the box must have {gdim} positive edge lengths, got {lengths} m")
    scale = max(lengths)
    regions = tuple(name for name in names if name != void)
    return Blueprint(
        kind=kind,
        scale=scale,
        regions=regions,
        boundaries=box.faces(gdim),
        loaded_area=lengths[0] * lengths[1] if gdim == 3 else lengths[0],
        height=lengths[-1],
        layer_bounds={},
        draw=partial(_draw, make, gdim, lengths, scale),
        rollers=box.rollers(gdim),
        analyse=partial(analyse, lengths, void),
        distribute=partial(array_mesh.distribute_box, make, lengths, regions, FACE_TOL * scale),
    )


def name_facets(mesh: PhaseMesh, planes: dict[str, tuple[int, float]], tol: float) -> dict[str, np.ndarray]:
    """Named facets (rows of point indices) of the meshed phases, in group order.

    ``planes`` maps box faces to (coordinate index, value); the groups come
    in the order: box faces, interfaces (region pairs in phase order),
    surfaces (regions in phase order); empty groups are left out.
    """
    try:
        facets, _, first, second = facet_neighbours(mesh.cells, len(mesh.points))
    except ValueError as err:
        raise RuntimeError(f"the mesh is not conforming: {err}") from None
    a = mesh.phases[first]
    b = np.where(second >= 0, mesh.phases[second], OUTSIDE)
    void = mesh.names.index(mesh.void) if mesh.void is not None else OUTSIDE - 1
    regions = mesh.regions
    index = {name: mesh.names.index(name) for name in regions}
    groups = list(planes) + [box.interface_name(r, s, regions) for r, s in combinations(regions, 2)]
    groups += [box.surface_name(r) for r in regions]
    code = np.full(len(facets), -1)
    outer = (b == OUTSIDE) & (a != void)
    for k, (axis, value) in enumerate(planes.values()):
        on = outer & (code < 0) & (np.abs(mesh.points[facets, axis] - value) <= tol).all(axis=1)
        code[on] = k
    for r, s in combinations(regions, 2):
        i, j = index[r], index[s]
        code[((a == i) & (b == j)) | ((a == j) & (b == i))] = groups.index(box.interface_name(r, s, regions))
    for r in regions:
        i = index[r]
        meets = ((a == i) & (b == void)) | ((b == i) & (a == void)) | (outer & (code < 0) & (a == i))
        code[meets] = groups.index(box.surface_name(r))
    return {name: facets[code == k] for k, name in enumerate(groups) if (code == k).any()}


def _draw(make: Callable[[], PhaseMesh], gdim: int, lengths: tuple[float, ...], scale: float) -> None:
    """Add the discrete model of ``make()`` (model units: metres / ``scale``) with its physical groups."""
    mesh = make()
    named = name_facets(mesh, box.face_planes(gdim, lengths), FACE_TOL * scale)
    missing = [face for face in box.faces(gdim) if face not in named]
    if missing:
        raise RuntimeError(f"no solid facet lies on the box face(s) {missing}")
    solid = mesh.phases != (mesh.names.index(mesh.void) if mesh.void is not None else OUTSIDE)
    solid_cells = mesh.cells[solid]
    index = array_mesh.point_index(solid_cells, len(mesh.points))
    cells, phases = index[solid_cells], mesh.phases[solid]
    used = np.flatnonzero(index >= 0)
    coords = np.zeros((len(used), 3))
    coords[:, :gdim] = mesh.points[used] / scale
    regions, model = mesh.regions, gmsh.model
    for tag in range(1, len(regions) + 1):
        model.addDiscreteEntity(gdim, tag)
    for tag in range(1, len(named) + 1):
        model.addDiscreteEntity(gdim - 1, tag)
    model.mesh.addNodes(gdim, 1, np.arange(1, len(used) + 1), coords.ravel())  # all nodes on the first region
    blocks = [(tag, CELL_TYPE[gdim], cells[phases == mesh.names.index(name)]) for tag, name in enumerate(regions, 1)]
    blocks += [(tag, FACET_TYPE[gdim], index[facets]) for tag, facets in enumerate(named.values(), 1)]
    element = 1  # element tags are unique over the model
    for tag, kind, connectivity in blocks:  # the element type gives the entity's dimension
        element_tags = np.arange(element, element + len(connectivity))
        model.mesh.addElementsByType(tag, kind, element_tags, connectivity.ravel() + 1)
        element += len(connectivity)
    gmsh_model.add_physical_groups(gdim, {name: [tag] for tag, name in enumerate(regions, start=1)}, regions)
    gmsh_model.add_physical_groups(gdim - 1, {name: [tag] for tag, name in enumerate(named, start=1)}, tuple(named))


def analyse(lengths: tuple[float, ...], void: str | None, mesh, cell_tags, regions: dict[int, str]) -> dict:
    """Microstructure metrics of the meshed phases of the box, measured on the distributed mesh
    (collective): chemomech.microstructure.distributed_metrics."""
    corners = (np.zeros(len(lengths)), np.asarray(lengths))
    return distributed_mesh_metrics(mesh, cell_tags, regions, box=corners, void_phase=void)
