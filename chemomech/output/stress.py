"""Cauchy stress invariants as cell fields and per-region statistics.

σ = P Fᵀ / J is evaluated at the volume quadrature points (where history
variables live) and averaged over each cell with the quadrature weights
(DG0); with σ1 ≥ σ2 ≥ σ3 the principal values of the cell mean (tension
positive),

    von Mises  σ_vM = √(½[(σ1−σ2)² + (σ2−σ3)² + (σ3−σ1)²]),
    hydrostatic σ_h = tr σ / 3.

The cell-mean tensors are kept (``cell_stress``, local cells with ghosts)
for the interface tractions (chemomech.output.interfaces), and σ1 at the
quadrature points (``point_sigma1()``, cells × points) for the Weibull
integrals (chemomech.output.risk); with one point per cell that is the
cell's σ1.

Per region: max σ1, min σ3, max σ_vM over owned cells (MPI-reduced) and the
volume mean of σ_h, ∫ σ_h dV / ∫ dV, integrated by quadrature.
"""

import numpy as np
import ufl

from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.output.chunks import chunks
from chemomech.output.principal import principal_and_von_mises, principal_values


class StressFields:
    """DG0 fields σ1, σ3, σ_vM, σ_h and their statistics per region."""

    def __init__(self, model):
        self.model = model
        mesh = model.domain.mesh
        scalar_space = dolfinx.fem.functionspace(mesh, ("DG", 0))
        sigma = model.cauchy_stress()
        self._expression = dolfinx.fem.Expression(sigma, model.quadrature_points)
        self._weights = model.quadrature_weights / model.quadrature_weights.sum()
        index_map = mesh.topology.index_map(mesh.topology.dim)
        self._cells = np.arange(index_map.size_local + index_map.num_ghosts, dtype=np.int32)
        self._dofs = scalar_space.dofmap.list[self._cells, 0]
        self.sigma1 = dolfinx.fem.Function(scalar_space, name="sigma1")
        self.sigma3 = dolfinx.fem.Function(scalar_space, name="sigma3")
        self.von_mises = dolfinx.fem.Function(scalar_space, name="von_mises")
        self.hydrostatic = dolfinx.fem.Function(scalar_space, name="hydrostatic_stress")
        owned = mesh.topology.index_map(mesh.topology.dim).size_local
        self._owned_cells = {}
        self._mean_forms = {}
        for name, tag in model.domain.regions.items():
            cells = model.domain.cell_tags.find(tag)
            self._owned_cells[name] = cells[cells < owned]
            dx = model.dx(tag)
            self._mean_forms[name] = (
                dolfinx.fem.form(ufl.tr(sigma) / 3 * model.weight * dx),
                dolfinx.fem.form(model.weight * dx),
            )
        self._comm = mesh.comm
        self.cell_stress = np.zeros((self._cells.size, 3, 3))
        self._principal = np.zeros((self._cells.size, 3))
        self._point_sigma1 = np.zeros((self._cells.size, len(self._weights))) if len(self._weights) > 1 else None

    def update(self, point_stress: np.ndarray | None = None) -> None:
        """Re-evaluate the fields for the current displacement (a chunk of cells at a time).

        Or take them from ``point_stress`` (local cells × points × 3 × 3: a
        prescribed stress field).
        """
        mesh, points = self.model.domain.mesh, len(self._weights)
        mises = np.empty(self._cells.size)
        for part in chunks(self._cells.size):
            if point_stress is None:
                values = self._expression.eval(mesh, self._cells[part])
            else:
                values = point_stress[part]
            values = 0.5 * (values + values.transpose(0, 1, 3, 2))
            cell = values[:, 0] if points == 1 else np.einsum("q,cqij->cij", self._weights, values)
            self.cell_stress[part] = cell
            self._principal[part], mises[part] = principal_and_von_mises(cell)
            if points > 1:
                self._point_sigma1[part] = principal_values(values)[..., -1]
        self.sigma1.x.array[self._dofs] = self._principal[:, 2]
        self.sigma3.x.array[self._dofs] = self._principal[:, 0]
        self.von_mises.x.array[self._dofs] = mises
        self.hydrostatic.x.array[self._dofs] = np.trace(self.cell_stress, axis1=1, axis2=2) / 3

    def point_sigma1(self) -> np.ndarray:
        """σ1 at the quadrature points of the local cells (cells × points)."""
        return self._principal[:, 2:] if len(self._weights) == 1 else self._point_sigma1

    def _reduced(self, values, op, empty):
        local = op(values) if values.size else empty
        return self._comm.allreduce(local, op=MPI.MAX if op is np.max else MPI.MIN)

    def region_statistics(self) -> dict[str, dict[str, float]]:
        """Per region: sigma1_max, sigma3_min, von_mises_max, hydrostatic_mean (Pa)."""
        stats = {}
        for name, cells in self._owned_cells.items():
            mean_form, volume_form = self._mean_forms[name]
            integral = self._comm.allreduce(dolfinx.fem.assemble_scalar(mean_form))
            volume = self._comm.allreduce(dolfinx.fem.assemble_scalar(volume_form))
            stats[name] = {
                "sigma1_max": self._reduced(self.sigma1.x.array[cells], np.max, -np.inf),
                "sigma3_min": self._reduced(self.sigma3.x.array[cells], np.min, np.inf),
                "von_mises_max": self._reduced(self.von_mises.x.array[cells], np.max, -np.inf),
                "hydrostatic_mean": integral / volume,
            }
        return stats
