"""Newton updates that land on the Dirichlet values, and the lifting they make redundant.

dolfinx's SNES residual at an iterate x is, with D the constrained dofs and
g their values,

    b_i = R_i(x) − Σ_{j∈D} J_ij (g_j − x_j)   (i ∉ D),     b_i = x_i − g_i   (i ∈ D),

and the Jacobian has unit rows and zero columns on D, so a Newton update δ
solves δ_D = b_D exactly and x − δ has x_D − (x_D − g) = g. The lifting
sum (dolfinx packs the Jacobian's coefficients on every cell for it: two
thirds of a residual's cost) then vanishes. Two things spoil that:

* an iterative solve returns δ_D only to its tolerance (GAMG's coarse
  corrections mix the decoupled rows in), so ``project`` sets δ_D = b_D
  after each linear solve: the exact solution of those rows, which the
  other rows do not see (their D columns are zero);
* a damped step x − λδ (λ < 1) or an extrapolated first iterate.

``hold`` tells whether x_D = g to rounding, |x_j − g_j| ≤ 8 ε max(|x_j|, |g_j|),
on every rank (one reduction, the same answer everywhere); the lifting
sum is then at most the rounding of the residual assembly itself and is
skipped.
"""

import numpy as np

from chemomech.dolfinx_compat import MPI

ROUNDING = 8 * np.finfo(float).eps


class DirichletRows:
    """The owned constrained dofs of one unknown, their values g, and the checks above."""

    def __init__(self, bcs, u):
        self._bcs = list(bcs)
        self._comm = u.function_space.mesh.comm
        index_map = u.function_space.dofmap.index_map
        owned = index_map.size_local * u.function_space.dofmap.index_map_bs
        self._scratch = np.full(u.x.array.size, np.nan)
        for bc in self._bcs:
            bc.set(self._scratch)
        self.dofs = np.flatnonzero(~np.isnan(self._scratch[:owned])).astype(np.int32)

    def values(self) -> np.ndarray:
        """g at the owned constrained dofs now (the conditions' Constants and Functions may have changed)."""
        for bc in self._bcs:
            bc.set(self._scratch)
        return self._scratch[self.dofs]

    def hold(self, x) -> bool:
        """Whether the PETSc vector x holds g on D to rounding, on every rank (collective)."""
        local = x.getArray(readonly=True)[self.dofs]
        g = self.values()
        off = bool(np.any(np.abs(local - g) > ROUNDING * np.maximum(np.abs(local), np.abs(g))))
        return not self._comm.allreduce(off, op=MPI.LOR)

    def project(self, rhs, update) -> None:
        """δ_D = b_D in the solution ``update`` of a linear solve with right-hand side ``rhs``."""
        if self.dofs.size:
            values = update.getArray()
            values[self.dofs] = rhs.getArray(readonly=True)[self.dofs]
