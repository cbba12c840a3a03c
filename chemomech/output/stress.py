"""Cauchy stress invariants as cell fields and per-region statistics.

σ = P Fᵀ / J is evaluated at the volume quadrature points (where history
variables live) and averaged over each cell with the quadrature weights
(DG0); with σ1 ≥ σ2 ≥ σ3 the principal values of the cell mean (tension
positive),

    von Mises  σ_vM = √(½[(σ1−σ2)² + (σ2−σ3)² + (σ3−σ1)²]),
    hydrostatic σ_h = tr σ / 3.

The four DG0 fields are kept only for a run that writes them
(``keep_fields``): 8 B per cell each, 0.06 kB per displacement dof of a P1
tetrahedral mesh for the four, which would stay resident through the
solves. Without them each update reduces a chunk of cells at a time to the
regions' extremes. The cell-mean tensors of given cells (``cell_mean(cells)``:
the cells along interfaces, for the tractions of chemomech.output.interfaces)
are evaluated when asked for: kept for every cell they would take 72 B per
cell, 0.15 kB per displacement dof. σ1 at the quadrature points
(``point_sigma1(cells)``, cells × points, for the Weibull integrals of
chemomech.output.risk) is kept once ``keep_point_sigma1()`` asks for it.

Per region: max σ1, min σ3, max σ_vM over owned cells (MPI-reduced) and the
volume mean of σ_h over the reference configuration, by the volume
quadrature from the point values the update has evaluated anyway,

    ∫ σ_h dV / ∫ dV = Σ_c Σ_q σ_h(x_cq) dV_cq / Σ_c Σ_q dV_cq,   dV_cq = w_q |det J_c(x_q)| w(x_cq),

with w_q the quadrature weights, J_c the Jacobian of cell c's map and w the
volume weight (2π r in axisymmetry, 1 otherwise): the same sum as
assembling ∫ tr σ/3 w dx, without evaluating σ a second time. The
contributions of the cells are summed after the chunks, so the mean does
not depend on the chunk size.
"""

import numpy as np
import ufl

from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.output.chunks import chunks
from chemomech.output.principal import principal_and_von_mises, principal_values


class StressFields:
    """σ1, σ3, σ_vM, σ_h per cell (DG0 fields with ``keep_fields``) and their statistics per region."""

    def __init__(self, model, keep_fields: bool = True):
        self.model = model
        mesh = model.domain.mesh
        sigma = model.cauchy_stress()
        self._expression = dolfinx.fem.Expression(sigma, model.quadrature_points)
        self._weights = model.quadrature_weights / model.quadrature_weights.sum()
        index_map = mesh.topology.index_map(mesh.topology.dim)
        self._cell_count = index_map.size_local + index_map.num_ghosts
        self._dofs = model.domain.cell_dofs
        self.keep_fields = keep_fields
        if keep_fields:
            scalar_space = model.domain.cell_space
            self.sigma1 = dolfinx.fem.Function(scalar_space, name="sigma1")
            self.sigma3 = dolfinx.fem.Function(scalar_space, name="sigma3")
            self.von_mises = dolfinx.fem.Function(scalar_space, name="von_mises")
            self.hydrostatic = dolfinx.fem.Function(scalar_space, name="hydrostatic_stress")
        self._owned_cells = model.domain.owned_region_cells
        self._extremes: dict[str, tuple[float, float, float]] = {}  # this rank's (max σ1, min σ3, max σ_vM)
        self._hydrostatic_integrals: dict[str, float] = {}  # this rank's ∫ σ_h dV per region
        self._comm = mesh.comm
        # |det J| w at the points; the weight (1, or 2π r) is of the reference configuration.
        self._point_volume = dolfinx.fem.Expression(
            abs(ufl.JacobianDeterminant(mesh)) * model.weight, model.quadrature_points
        )
        volumes = np.zeros(self._cell_count)
        for part in chunks(self._cell_count):
            volumes[part] = self._point_volumes(np.arange(part.start, part.stop, dtype=np.int32)).sum(axis=1)
        self._volumes = {
            name: self._comm.allreduce(volumes[owned].sum()) for name, owned in self._owned_cells.items()
        }
        self._point_sigma1 = None

    def keep_point_sigma1(self) -> None:
        """Keep σ1 at every quadrature point from the next update on (8 B per cell and point)."""
        if self._point_sigma1 is None:
            self._point_sigma1 = np.zeros((self._cell_count, len(self._weights)))

    def _point_values(self, cells: np.ndarray, point_stress: np.ndarray | None = None) -> np.ndarray:
        """Symmetrised σ at the quadrature points of ``cells`` (cells × points × 3 × 3)."""
        values = self._expression.eval(self.model.domain.mesh, cells) if point_stress is None else point_stress
        return 0.5 * (values + values.transpose(0, 1, 3, 2))

    def _point_volumes(self, cells: np.ndarray) -> np.ndarray:
        """dV_cq = w_q |det J| w at the quadrature points of ``cells`` (cells × points)."""
        values = self._point_volume.eval(self.model.domain.mesh, cells).reshape(cells.size, -1)
        return values * self.model.quadrature_weights

    def _cell_means(self, values: np.ndarray) -> np.ndarray:
        """Cell means of point ``values`` (cells × points × 3 × 3) with the quadrature weights."""
        return values[:, 0] if len(self._weights) == 1 else np.einsum("q,cqij->cij", self._weights, values)

    def update(self, point_stress: np.ndarray | None = None) -> None:
        """Re-evaluate the stresses for the current displacement (a chunk of cells at a time).

        Or take them from ``point_stress`` (local cells × points × 3 × 3: a
        prescribed stress field).
        """
        extremes = dict.fromkeys(self._owned_cells, (-np.inf, np.inf, -np.inf))
        hydrostatic = np.empty(self._cell_count)  # ∫ σ_h dV over each cell
        for part in chunks(self._cell_count):
            cells = np.arange(part.start, part.stop, dtype=np.int32)
            values = self._point_values(cells, None if point_stress is None else point_stress[part])
            trace = values[..., 0, 0] + values[..., 1, 1] + values[..., 2, 2]
            # dV again at every update (a tenth of the update's time), not kept: 8 B per cell and point for the run
            hydrostatic[part] = (trace * self._point_volumes(cells)).sum(axis=1) / 3
            cell = self._cell_means(values)
            principal, mises = principal_and_von_mises(cell)
            sigma1, sigma3 = principal[:, 2], principal[:, 0]
            for name, owned in self._owned_cells.items():
                # bounds of owned's dtype: a Python int would make numpy copy owned to int64
                first, last = owned.searchsorted(np.array((part.start, part.stop), dtype=owned.dtype))
                if last > first:
                    mine = owned[first:last] - part.start
                    high, low, mises_high = extremes[name]
                    extremes[name] = (
                        max(high, sigma1[mine].max()),
                        min(low, sigma3[mine].min()),
                        max(mises_high, mises[mine].max()),
                    )
            if self.keep_fields:
                dofs = self._dofs[part]
                self.sigma1.x.array[dofs], self.sigma3.x.array[dofs] = sigma1, sigma3
                self.von_mises.x.array[dofs] = mises
                self.hydrostatic.x.array[dofs] = np.trace(cell, axis1=1, axis2=2) / 3
            if self._point_sigma1 is not None:  # one point per cell (P1): its σ1 is the cell's, just computed
                one_point = values.shape[1] == 1
                self._point_sigma1[part] = sigma1[:, None] if one_point else principal_values(values)[..., -1]
        self._extremes = {name: tuple(map(float, values)) for name, values in extremes.items()}
        self._hydrostatic_integrals = {
            name: float(hydrostatic[owned].sum()) for name, owned in self._owned_cells.items()
        }

    def cell_mean(self, cells: np.ndarray) -> np.ndarray:
        """Cell-mean Cauchy stress tensors of the local ``cells`` for the current displacement (cells × 3 × 3)."""
        means = np.empty((cells.size, 3, 3))
        for part in chunks(cells.size):
            means[part] = self._cell_means(self._point_values(cells[part]))
        return means

    def point_sigma1(self, cells: np.ndarray) -> np.ndarray:
        """σ1 at the quadrature points of the local ``cells`` (cells × points), as of the last update."""
        if self._point_sigma1 is None:
            raise RuntimeError("σ1 at the quadrature points is kept only after keep_point_sigma1()")
        return self._point_sigma1[cells]

    def sigma1_max(self, region: str) -> float:
        """The region's largest cell-mean σ1 as of the last update (MPI-reduced; collective)."""
        return self._comm.allreduce(self._extremes[region][0], op=MPI.MAX)

    def region_statistics(self) -> dict[str, dict[str, float]]:
        """Per region as of the last update: sigma1_max, sigma3_min, von_mises_max, hydrostatic_mean (Pa)."""
        stats = {}
        for name, (high, low, mises_high) in self._extremes.items():
            integral = self._comm.allreduce(self._hydrostatic_integrals[name])
            stats[name] = {
                "sigma1_max": self._comm.allreduce(high, op=MPI.MAX),
                "sigma3_min": self._comm.allreduce(low, op=MPI.MIN),
                "von_mises_max": self._comm.allreduce(mises_high, op=MPI.MAX),
                "hydrostatic_mean": integral / self._volumes[name],
            }
        return stats
