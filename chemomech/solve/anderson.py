"""Anderson acceleration of a fixed-point iteration x = G(x) on distributed vectors.

The staggered passes of a step are a fixed-point iteration x_{k+1} = G(x_k):
for the damage, G solves the mechanics at d_k and then the damage at that
displacement (alternate minimisation). Anderson acceleration (type II,
Walker & Ni, SIAM J. Numer. Anal. 2011; for phase-field fracture Storvik,
Both, Sargado, Nordbotten & Radu, CMAME 2021) mixes the last m + 1 updates.
With the residuals f_i = G(x_i) − x_i and the differences

    ΔF = [f_{k−m_k+1} − f_{k−m_k}, …, f_k − f_{k−1}],
    ΔG = [G(x_{k−m_k+1}) − G(x_{k−m_k}), …, G(x_k) − G(x_{k−1})],   m_k = min(m, k),

the next iterate is

    γ = argmin_γ ‖f_k − ΔF γ‖₂,
    x_{k+1} = P(G(x_k) − ΔG γ),

with P the projection onto the field's admissible set (damage:
d_n ≤ d ≤ 1). The least-squares problem is solved through its m_k × m_k
normal equations, columns scaled to unit length, with a pseudo-inverse
that drops directions whose singular value is below 1e-10 of the largest:
one MPI reduction of the Gram matrix and the right-hand side over the
owned entries, the same small solve on every rank, so every rank takes
the same decisions. On an affine map G(x) = A x + b of dimension n
(without projection) the iterates match GMRES on (I − A) x = b, so depth
m ≥ n reaches the fixed point in at most n + 1 updates.

Safeguard: when the residual of an accelerated iterate has grown,
‖f_k‖₂ > ‖f_{k−1}‖₂, the history is dropped and the plain updates
x_{k+1} = G(x_k) follow until their residual has fallen in m passes in a
row; mixing then starts again from a new history. During unstable crack
growth (the crack front moves by about an element a pass) the mixing
cannot jump the front, and the plain passes carry it; in the smooth
stretches that follow, the mixing resumes.
"""

import numpy as np

from chemomech.dolfinx_compat import MPI

SINGULAR = 1e-10  # relative singular value of the scaled Gram matrix below which a direction is dropped


class AndersonMixing:
    """Depth-m Anderson mixing of the owned entries of x_k and G(x_k), reduced over ``comm``."""

    def __init__(self, comm, depth: int):
        if depth < 1:
            raise ValueError(f"Anderson depth must be at least 1, got {depth}")
        self.comm = comm
        self.depth = depth
        self.reset()

    def reset(self) -> None:
        """Forget the history (a new step)."""
        self._clear()
        self._previous_norm = np.inf
        self._accelerated = False  # whether x_k came from a mixed (not plain) update
        self._falling = None  # plain passes in a row with a falling residual after a safeguard stop; None: mixing

    def _clear(self) -> None:
        self._previous = None  # (f_{k−1}, G(x_{k−1})) of the last update
        self._residual_differences: list[np.ndarray] = []
        self._update_differences: list[np.ndarray] = []

    def _reduced(self, local: np.ndarray) -> np.ndarray:
        total = np.empty_like(local)
        self.comm.Allreduce(local, total, op=MPI.SUM)
        return total

    def _plain(self, g: np.ndarray, norm: float) -> np.ndarray:
        self._previous_norm = norm
        self._accelerated = False
        return g.copy()

    def update(self, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        """The next iterate (before projection) from x_k and G(x_k), owned entries."""
        f = g - x
        norm = float(np.sqrt(self._reduced(np.array([f @ f], dtype=float))[0]))
        if self._accelerated and norm > self._previous_norm:  # safeguard: plain passes from here
            self._clear()
            self._falling = 0
            return self._plain(g, norm)
        if self._falling is not None:
            self._falling = self._falling + 1 if norm < self._previous_norm else 0
            if self._falling < self.depth:
                return self._plain(g, norm)
            self._falling = None  # mixing again, from this update on
        if self._previous is not None:
            f_previous, g_previous = self._previous
            self._residual_differences.append(f - f_previous)
            self._update_differences.append(g - g_previous)
            if len(self._residual_differences) > self.depth:
                del self._residual_differences[0], self._update_differences[0]
        self._previous = (f, g.copy())
        if not self._residual_differences:
            return self._plain(g, norm)
        self._previous_norm = norm
        self._accelerated = True
        differences = np.column_stack(self._residual_differences)
        local = np.concatenate([(differences.T @ differences).ravel(), differences.T @ f])
        reduced = self._reduced(local)
        columns = differences.shape[1]
        gram = reduced[: columns * columns].reshape(columns, columns)
        right = reduced[columns * columns :]
        lengths = np.sqrt(np.diag(gram))
        scale = np.where(lengths > 0.0, lengths, 1.0)  # a zero column: its direction is dropped below
        scaled = gram / np.outer(scale, scale)
        gamma = np.linalg.pinv(scaled, rcond=SINGULAR, hermitian=True) @ (right / scale) / scale
        return g - np.column_stack(self._update_differences) @ gamma
