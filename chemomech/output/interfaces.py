"""Normal tractions on internal interfaces: contact and debonding risk.

On every facet of a named internal interface (a facet group whose name
starts with ``interface``: stack layers, particle/matrix boundaries) the
normal traction is

    t_n = n · σ̄ n,   σ̄ = ½ (σ_K⁺ + σ_K⁻),

with σ_K the cell-mean Cauchy stress of the two cells sharing the facet
(chemomech.output.stress) and n the facet's unit normal in the reference
configuration. Tension (t_n > 0) pulls the two sides apart: where an
interface carries tension it is at risk of opening (contact loss, physics.md
section 8). Per interface, with facet areas a_f (2π r a_f about the axis in
axisymmetry):

    mean t_n = Σ a_f t_n / Σ a_f,  max t_n,  min t_n,
    tensile area fraction = Σ_{t_n > t_0} a_f / Σ a_f,

with t_0 = TENSION_FLOOR times the stiffest modulus: a traction within the
round-off of a stress-free state (a lifted plunger) is not tension.

Each facet is counted on the rank that owns it (ghosted cells make both
sides available there); the statistics are MPI-reduced.
"""

import math

import numpy as np

from chemomech.dolfinx_compat import MPI, dolfinx


TENSION_FLOOR = 1e-8
"""Tractions below this times the stiffest Young's modulus count as zero in the tensile area."""


class InterfaceTractions:
    """Normal-traction statistics of each internal interface; ``modulus`` is the stiffest Young's modulus."""

    def __init__(self, model, stresses, modulus: float):
        self.stresses = stresses
        self._floor = TENSION_FLOOR * modulus
        mesh = model.domain.mesh
        self._comm = mesh.comm
        tdim = mesh.topology.dim
        mesh.topology.create_connectivity(tdim - 1, tdim)
        mesh.topology.create_connectivity(tdim - 1, 0)
        to_cells = mesh.topology.connectivity(tdim - 1, tdim)
        owned = mesh.topology.index_map(tdim - 1).size_local
        tags = model.domain.facet_tags
        self._facets = {}
        for name, tag in model.domain.boundaries.items():
            if not name.startswith("interface"):
                continue
            facets = tags.find(tag)
            facets = facets[facets < owned]
            cells = to_cells.array[to_cells.offsets[facets][:, None] + np.arange(2)]  # interior: two cells each
            normals, areas = _facet_geometry(mesh, facets, model.kind)
            self._facets[name] = (cells, normals, areas)
        # the cells along the interfaces, and each facet's two as positions among them
        self._cells, positions = np.unique(
            np.concatenate([c.ravel() for c, _, _ in self._facets.values()] or [np.empty(0, np.int32)]),
            return_inverse=True,
        )
        start = 0
        for name, (cells, normals, areas) in self._facets.items():
            self._facets[name] = (positions[start : start + cells.size].reshape(cells.shape), normals, areas)
            start += cells.size

    def statistics(self) -> dict[str, dict[str, float]]:
        """Per interface: normal_traction_mean, _max, _min (Pa) and tensile_area_fraction (-)."""
        sigma = self.stresses.cell_mean(self._cells)
        stats = {}
        for name, (cells, normals, areas) in self._facets.items():
            mean = 0.5 * (sigma[cells[:, 0]] + sigma[cells[:, 1]])
            traction = np.einsum("fi,fij,fj->f", normals, mean, normals)
            total = self._comm.allreduce(areas.sum())
            tensile = self._comm.allreduce(areas[traction > self._floor].sum())
            stats[name] = {
                "normal_traction_mean": self._comm.allreduce(areas @ traction) / total,
                "normal_traction_max": self._comm.allreduce(traction.max(initial=-np.inf), op=MPI.MAX),
                "normal_traction_min": self._comm.allreduce(traction.min(initial=np.inf), op=MPI.MIN),
                "tensile_area_fraction": tensile / total,
            }
        return stats


def _facet_geometry(mesh, facets, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Unit normals and (weighted) areas of the facets in the reference configuration.

    Normals have 3 components; in 2D the out-of-plane one (index 2, as in the
    3×3 tensors of chemomech.physics.kinematics) is zero.
    """
    tdim = mesh.topology.dim
    vertices = dolfinx.mesh.entities_to_geometry(mesh, tdim - 1, facets)
    x = mesh.geometry.x[vertices]  # (facets, tdim vertices, 3)
    if tdim == 3:
        normal = np.cross(x[:, 1] - x[:, 0], x[:, 2] - x[:, 0])
        area = 0.5 * np.linalg.norm(normal, axis=1)
    else:
        edge = x[:, 1] - x[:, 0]
        normal = np.stack([-edge[:, 1], edge[:, 0], np.zeros(len(edge))], axis=1)
        area = np.linalg.norm(normal, axis=1)
        if kind == "axisymmetric":
            area = area * 2 * math.pi * x[:, :, 0].mean(axis=1)
    normal = normal / np.linalg.norm(normal, axis=1, keepdims=True)
    return normal, area
