"""Element distortion: when the deformation is too large to trust the mesh.

At every cell midpoint (DG0 interpolation of the deformation gradient F,
3×3 in every model dimension) two measures of the total deformation:

    J = det F                      volume ratio (J ≤ 0: an inverted cell),
    κ = λ_max / λ_min              stretch ratio, λ_i² the eigenvalues of C = FᵀF.

A cell is badly distorted when J ∉ [J_MIN, J_MAX] = [0.2, 5] or κ > K_MAX = 3.
Isotropic swelling leaves κ = 1 at any J; sulfur to Li2S (ΔV/V ≈ 0.8)
gives J ≈ 1.8 and κ ≈ 1.3 at full, fully constrained conversion. Past
the thresholds a cell has lost 80 % of its volume, grown five-fold, or
been stretched three times more along one direction than another: an
element sized for the reference shape then resolves the deformed one
poorly, and the constitutive laws are far outside their range, so the
results need a finer mesh or a second look. Each measure warns once per
run (at the first step past its threshold, naming the region); the
extremes over the run go to summary.json.
"""

import basix
import numpy as np

from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.output.chunks import chunks
from chemomech.output.principal import determinant, principal_values
from chemomech.physics.kinematics import deformation_gradient

J_MIN = 0.2
J_MAX = 5.0
K_MAX = 3.0


def right_cauchy_green(f: np.ndarray) -> np.ndarray:
    """C = FᵀF, C_ij = Σ_k F_ki F_kj, of deformation gradients (n, 3, 3), component by component
    (a third of the time of numpy's batched matrix product on 3×3 matrices)."""
    c = np.empty_like(f)
    for i in range(3):
        for j in range(i, 3):
            c[:, i, j] = c[:, j, i] = f[:, 0, i] * f[:, 0, j] + f[:, 1, i] * f[:, 1, j] + f[:, 2, i] * f[:, 2, j]
    return c


def measures(f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(J, κ) of an array of deformation gradients of shape (n, 3, 3)."""
    squares = np.maximum(principal_values(right_cauchy_green(f)), 0.0)  # λ_i², ascending
    with np.errstate(divide="ignore"):
        ratio = np.sqrt(squares[:, -1] / squares[:, 0])
    return determinant(f), ratio


class DistortionMonitor:
    """Per-region extremes of J and κ over owned cells, MPI-reduced, and the warnings they raise."""

    def __init__(self, model):
        self._mesh = mesh = model.domain.mesh
        midpoint = basix.geometry(mesh.basix_cell()).mean(axis=0, keepdims=True)
        self._expression = dolfinx.fem.Expression(deformation_gradient(model.u, model.kind), midpoint)
        self._owned = mesh.topology.index_map(mesh.topology.dim).size_local
        self._cells = model.domain.owned_region_cells
        self._comm = mesh.comm
        self.extremes = {"det_F_min [-]": np.inf, "det_F_max [-]": -np.inf, "stretch_ratio_max [-]": 1.0}
        self._warned: set[str] = set()

    def evaluate(self) -> dict[str, tuple[float, str]]:
        """(value, region) of min J, max J and max κ over the mesh now."""
        j, kappa = np.empty(self._owned), np.empty(self._owned)
        for part in chunks(self._owned):
            cells = np.arange(part.start, part.stop, dtype=np.int32)
            j[part], kappa[part] = measures(self._expression.eval(self._mesh, cells)[:, 0])
        local = {"det_F_min": (np.inf, ""), "det_F_max": (-np.inf, ""), "stretch_ratio_max": (1.0, "")}
        for region, cells in self._cells.items():
            if cells.size:
                local["det_F_min"] = min(local["det_F_min"], (float(j[cells].min()), region))
                local["det_F_max"] = max(local["det_F_max"], (float(j[cells].max()), region))
                local["stretch_ratio_max"] = max(local["stretch_ratio_max"], (float(kappa[cells].max()), region))
        return {
            name: self._comm.allreduce(value, op=MPI.MIN if name.endswith("_min") else MPI.MAX)
            for name, value in local.items()
        }

    def check(self, where: str) -> list[str]:
        """Evaluate, update the run's extremes and return the new warnings (``where``: step and time)."""
        values = self.evaluate()
        self.extremes["det_F_min [-]"] = min(self.extremes["det_F_min [-]"], values["det_F_min"][0])
        self.extremes["det_F_max [-]"] = max(self.extremes["det_F_max [-]"], values["det_F_max"][0])
        self.extremes["stretch_ratio_max [-]"] = max(
            self.extremes["stretch_ratio_max [-]"], values["stretch_ratio_max"][0]
        )
        found = []
        (j_min, low_region), (j_max, high_region) = values["det_F_min"], values["det_F_max"]
        kappa, kappa_region = values["stretch_ratio_max"]
        if j_min < J_MIN and "det_F_min" not in self._warned:
            self._warned.add("det_F_min")
            state = "an inverted cell" if j_min <= 0 else "a cell compressed to"
            found.append(
                f"large element distortion {where}: {state} det F = {j_min:.3g} < {J_MIN} in {low_region}"
            )
        if j_max > J_MAX and "det_F_max" not in self._warned:
            self._warned.add("det_F_max")
            found.append(
                f"large element distortion {where}: a cell swollen to det F = {j_max:.3g} > {J_MAX} in {high_region}"
            )
        if kappa > K_MAX and "stretch_ratio_max" not in self._warned:
            self._warned.add("stretch_ratio_max")
            found.append(
                f"large element distortion {where}: stretch ratio {kappa:.3g} > {K_MAX} in {kappa_region}"
            )
        return found
