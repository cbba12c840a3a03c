"""Return mapping in principal elastic logarithmic strains (pure numpy).

Kinematics F = Fe · Fp · Fg (growth Fg, inelastic Fp). The inelastic state
is the inverse plastic metric Cp⁻¹ = Fp⁻¹ Fp⁻ᵀ; with the trial elastic left
Cauchy–Green tensor of a step (Cp⁻¹ frozen at the committed value)

    be_tr = F Fg⁻¹ Cp⁻¹ₙ Fg⁻ᵀ Fᵀ = Σ exp(2 e_tr,i) n_i ⊗ n_i,

the exponential-map integration of an isotropic flow rule keeps the
principal directions n_i and works on the principal elastic log strains e:

    e = e_tr − Δλ ∂f/∂σ(e)          (backward Euler, Simo 1992)

after which be = Σ exp(2 e_i) n_i ⊗ n_i and Cp⁻¹ = Fg F⁻¹ be F⁻ᵀ Fgᵀ.

The elastic law is the compressible neo-Hookean solid of
``chemomech.physics.constitutive`` with Fe: principal Cauchy stresses

    σ_i = [μ (exp(2 e_i) − 1) + λ θ] / Je,   θ = Σ e_i = ln Je.

Everything is vectorised over points (leading axis n); batched Newton solves
carry per-point backtracking. The consistent tangent dCp⁻¹/dF of a return
map follows from the implicit derivative of the local solve and the
derivative of the spectral decomposition (see ``tangent``).
"""

from dataclasses import dataclass

import numpy as np

DEGENERATE = 1.0e-9
"""Relative gap below which two eigenvalues of be_tr are treated as equal."""


def transpose(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


def trial_state(F: np.ndarray, Fg: np.ndarray, Cp_inv: np.ndarray):
    """Principal trial log strains e_tr (n, 3) and directions (n, 3, 3, columns n_i)."""
    Fg_inv = np.linalg.inv(Fg)
    be = F @ Fg_inv @ Cp_inv @ transpose(Fg_inv) @ transpose(F)
    stretches, directions = np.linalg.eigh(0.5 * (be + transpose(be)))
    return 0.5 * np.log(stretches), directions


def inverse_plastic_metric(F: np.ndarray, Fg: np.ndarray, e: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Cp⁻¹ = Fg F⁻¹ be F⁻ᵀ Fgᵀ with be = Σ exp(2 e_i) n_i ⊗ n_i."""
    be = (directions * np.exp(2 * e)[:, None, :]) @ transpose(directions)
    A = Fg @ np.linalg.inv(F)
    Cp_inv = A @ be @ transpose(A)
    return 0.5 * (Cp_inv + transpose(Cp_inv))


class NeoHookeanPrincipal:
    """Principal Cauchy stress of the neo-Hookean law and its derivative in e."""

    def __init__(self, mu: np.ndarray, lmbda: np.ndarray):
        self.mu = np.asarray(mu, dtype=float)
        self.lmbda = np.asarray(lmbda, dtype=float)

    def subset(self, index) -> "NeoHookeanPrincipal":
        return NeoHookeanPrincipal(self.mu[index], self.lmbda[index])

    def stress(self, e: np.ndarray):
        """σ (n, 3) and dσ/de (n, 3, 3)."""
        mu, lmbda = self.mu[:, None], self.lmbda[:, None]
        x_minus_1 = np.expm1(2 * e)  # exact deviatoric digits for small strains
        theta = e.sum(axis=1, keepdims=True)
        inv_je = np.exp(-theta)
        sigma = (mu * x_minus_1 + lmbda * theta) * inv_je
        dsigma = (2 * mu[:, :, None] * np.eye(3) * (x_minus_1 + 1)[:, None, :] + lmbda[:, :, None]) * inv_je[:, :, None]
        dsigma -= sigma[:, :, None]
        return sigma, dsigma


def invariants(sigma: np.ndarray, dsigma: np.ndarray):
    """Mean pressure p = −tr σ / 3, deviator s, von Mises q = √(3/2 s·s) and their e-derivatives.

    Returns p (n,), s (n, 3), q (n,), dp (n, 3), ds (n, 3, 3), dq (n, 3);
    dq is set to zero where q = 0.
    """
    p = -sigma.mean(axis=1)
    s = sigma + p[:, None]
    dp = -dsigma.mean(axis=1)
    ds = dsigma + dp[:, None, :]
    q = np.sqrt(1.5 * np.einsum("ni,ni->n", s, s))
    safe = np.where(q > 0, q, 1.0)
    dq = np.where((q > 0)[:, None], 1.5 * np.einsum("ni,nij->nj", s, ds) / safe[:, None], 0.0)
    return p, s, q, dp, ds, dq


def newton(
    system, y: np.ndarray, *, tolerance: float, weights=None, floor: float = 0.0, max_iterations: int = 60,
    max_halvings: int = 40,
):
    """Solve R(y) = 0 point by point (y: (n, k)) by Newton with backtracking.

    ``system(y, index)`` returns R (m, k) and dR/dy (m, k, k) for the points
    ``index``, or NaN where y is outside the model's domain. A point has
    converged when its Newton update, scaled by ``weights(y)`` (m, k; default
    1), is below ``tolerance`` (∞-norm); the update is still applied, so the
    result carries one extra iteration. A point whose line search finds
    no decrease while ‖R‖ ≤ ``floor`` has reached the rounding level of its
    residual and has converged too. Returns y, the mask of converged points
    and dR/dy at the returned y.
    """
    y = y.copy()
    n = y.shape[0]
    converged = np.zeros(n, dtype=bool)
    R, dR = system(y, np.arange(n))
    norm = np.linalg.norm(R, axis=1)
    for _ in range(max_iterations):
        todo = np.flatnonzero(~converged & np.isfinite(norm))
        if todo.size == 0:
            break
        step = -np.linalg.solve(dR[todo], R[todo][:, :, None])[:, :, 0]
        scale = 1.0 if weights is None else weights(y[todo])
        small = np.max(np.abs(step * scale), axis=1) <= tolerance
        factor = np.ones(todo.size)
        pending = np.arange(todo.size)
        for _ in range(max_halvings):
            points = todo[pending]
            trial = y[points] + factor[pending, None] * step[pending]
            R_try, dR_try = system(trial, points)
            norm_try = np.linalg.norm(R_try, axis=1)
            accept = np.isfinite(norm_try) & (
                (norm_try <= (1 - 1e-4 * factor[pending]) * norm[points]) | small[pending] | (norm_try == 0)
            )
            accepted = points[accept]
            y[accepted] = trial[accept]
            R[accepted], dR[accepted], norm[accepted] = R_try[accept], dR_try[accept], norm_try[accept]
            pending = pending[~accept]
            if pending.size == 0:
                break
            factor[pending] *= 0.5
        converged[todo[small]] = True
        stalled = todo[pending]
        converged[stalled[norm[stalled] <= floor]] = True
        norm[stalled[norm[stalled] > floor]] = np.nan  # line search failed: the point stops, unconverged
    return y, converged, dR


def implicit_derivative(dR_dy: np.ndarray, dR_dtrial: np.ndarray) -> np.ndarray:
    """de/de_tr (n, 3, 3) of a converged local solve R(y; e_tr) = 0, y = (e, …).

    dy/de_tr = −(∂R/∂y)⁻¹ ∂R/∂e_tr (implicit function theorem); e is the
    first three components of y.
    """
    return -np.linalg.solve(dR_dy, dR_dtrial)[:, :3, :]


@dataclass
class ReturnResult:
    """Outcome of a return mapping at n points.

    ``active`` marks the points whose inelastic state changed; for those,
    ``e`` holds the updated principal elastic log strains and ``D`` =
    de/de_tr, which is all the consistent tangent needs.
    """

    Cp_inv: np.ndarray
    active: np.ndarray
    e: np.ndarray
    D: np.ndarray


def tangent(F: np.ndarray, Fg: np.ndarray, Cp_inv_n: np.ndarray, result: ReturnResult) -> np.ndarray:
    """Consistent tangent dCp⁻¹/dF (n, 3, 3, 3, 3) of a return mapping, zero where inactive.

    Cp⁻¹ = K be Kᵀ with K = Fg F⁻¹ and be = Σ g_i n_i ⊗ n_i, g_i = exp(2 e_i),
    the spectral function of be_tr = F A Fᵀ (A = Fg⁻¹ Cp⁻¹ₙ Fg⁻ᵀ, eigenvalues
    β_i, vectors n_i) defined by the return map with de/de_tr = D. In the
    eigenbasis, with dX̃ = Nᵀ dbe_tr N,

        dB̃_ii = Σ_m G_im dX̃_mm,   G_im = ∂g_i/∂β_m = g_i D_im / β_m,
        dB̃_ij = (g_i − g_j)/(β_i − β_j) dX̃_ij   (i ≠ j; limit G_ii − G_ij
                                                  when β_i = β_j),

    and dCp⁻¹ = dK be Kᵀ + K dbe Kᵀ + K be dKᵀ with dK = −K dF F⁻¹.
    """
    out = np.zeros((*F.shape, 3, 3))
    idx = np.flatnonzero(result.active)
    if idx.size == 0:
        return out
    F, Fg, Cp_inv_n = F[idx], Fg[idx], Cp_inv_n[idx]
    D, g = result.D[idx], np.exp(2 * result.e[idx])
    Fg_inv, F_inv = np.linalg.inv(Fg), np.linalg.inv(F)
    K = Fg @ F_inv
    A = Fg_inv @ Cp_inv_n @ transpose(Fg_inv)
    beta, N = np.linalg.eigh(F @ A @ transpose(F))
    G = g[:, :, None] * D / beta[:, None, :]
    gap = beta[:, :, None] - beta[:, None, :]
    close = np.abs(gap) <= DEGENERATE * beta.max(axis=1)[:, None, None]
    diagonal_G = np.einsum("nii->ni", G)
    theta = np.where(close, diagonal_G[:, :, None] - G, (g[:, :, None] - g[:, None, :]) / np.where(close, 1.0, gap))
    # Directions dF = E_kl along axis 1 (k, l flattened), 3×3 tensors last.
    P = A @ transpose(F) @ N
    dX = np.einsum("nki,nlj->nklij", N, P).reshape(-1, 9, 3, 3)  # dX̃_ij = N_ki P_lj + P_li N_kj
    dX = dX + transpose(dX)
    dB = theta[:, None] * dX
    diag = np.einsum("nkmm->nkm", dX)
    dB[:, :, [0, 1, 2], [0, 1, 2]] = np.einsum("nim,nkm->nki", G, diag)
    M = (K @ N)[:, None]  # K dbe Kᵀ = (K N) dB̃ (K N)ᵀ
    be = (N * g[:, None, :]) @ transpose(N)
    Q = F_inv @ be @ transpose(K)
    KQ = np.einsum("nak,nlb->nklab", K, Q).reshape(-1, 9, 3, 3)  # (K E_kl Q)_ab = K_ak Q_lb
    out[idx] = np.moveaxis((M @ dB @ transpose(M) - KQ - transpose(KQ)).reshape(-1, 3, 3, 3, 3), (1, 2), (3, 4))
    return out
