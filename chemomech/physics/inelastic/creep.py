"""Return mapping of power-law creep with an optional yield stress (Li metal).

Isochoric flow along the deviator of the Cauchy stress, in principal
elastic log strains e (see principal.py), with ν = (3/2) s / q:

    e = e_tr − Δγ ν(e),   Δγ = Δt ε̇₀ (q(e)/σ₀)^m        (backward Euler)

solved for (e, ln Δγ) — the logarithm makes the power law linear and the
Newton iteration insensitive to the exponent. A Hencky (small elastic
strain) radial return, q = q_tr − 3μ Δγ, solved by bisection, gives the
initial guess. Where the creep solution leaves q above the yield stress
σ_y, the step is a rate-independent return to q = σ_y instead:

    e = e_tr − Δγ ν(e),   q(e) = σ_y.

Δt = 0 (the preload) leaves only the yield limit. Flow is isochoric
(Σ ν_i = 0), so Je, the pressure part of the response and det Cp⁻¹ are
those of the trial state.
"""

import numpy as np

from chemomech.physics.inelastic.principal import (
    NeoHookeanPrincipal,
    ReturnResult,
    implicit_derivative,
    inverse_plastic_metric,
    invariants,
    newton,
    trial_state,
)

TOLERANCE = 1.0e-14
"""On the elastic log strains (absolute): machine precision near e = 0."""
BISECTIONS = 45
YIELD_TOLERANCE = 1.0e-10
"""q ≤ (1 + tol) σ_y counts as elastic: a state left at the yield stress stays elastic."""


def _flow(elastic, e):
    """q, ν = (3/2) s / q and their e-derivatives (NaN where q = 0)."""
    sigma, dsigma = elastic.stress(e)
    _, s, q, _, ds, dq = invariants(sigma, dsigma)
    q = np.where(q > 0, q, np.nan)
    nu = 1.5 * s / q[:, None]
    dnu = 1.5 * ds / q[:, None, None] - nu[:, :, None] * dq[:, None, :] / q[:, None, None]
    return q, dq, nu, dnu


class CreepReturn:
    """Vectorised return mapping of one creeping region (law: CreepLaw)."""

    def __init__(self, law):
        self.law = law

    def _hencky_creep_stress(self, q_tr, mu, dt):
        """Root q of q_tr − q = 3μ Δt ε̇₀ (q/σ₀)^m by bisection on ln q."""
        law = self.law
        lo, hi = np.log(q_tr) - 80.0, np.log(q_tr)
        c = np.log(3 * mu * dt * law.reference_rate) - law.exponent * np.log(law.reference_stress)
        for _ in range(BISECTIONS):
            mid = 0.5 * (lo + hi)
            excess = np.log(np.maximum(q_tr - np.exp(mid), 1e-300)) - c - law.exponent * mid
            lo, hi = np.where(excess > 0, mid, lo), np.where(excess > 0, hi, mid)
        return np.exp(0.5 * (lo + hi))

    def _solve(self, elastic, e_tr, y0, dt):
        """Newton on (e, ln Δγ) for creep (dt > 0) or (e, Δγ) for the yield limit (dt None).

        Returns e, Δγ and de/de_tr (NaN where the local solve failed).
        """
        law = self.law
        creep = dt is not None

        def system(y, points):
            e, x = y[:, :3], y[:, 3]
            q, dq, nu, dnu = _flow(elastic.subset(points), e)
            gamma = np.exp(x) if creep else x
            R = np.empty((len(points), 4))
            dR = np.zeros((len(points), 4, 4))
            R[:, :3] = e - e_tr[points] + gamma[:, None] * nu
            dR[:, :3, :3] = np.eye(3) + gamma[:, None, None] * dnu
            dR[:, :3, 3] = nu * (gamma[:, None] if creep else 1.0)
            if creep:
                R[:, 3] = x - np.log(dt * law.reference_rate) - law.exponent * np.log(q / law.reference_stress)
                dR[:, 3, :3] = -law.exponent * dq / q[:, None]
                dR[:, 3, 3] = 1.0
            else:
                R[:, 3] = q / law.yield_stress - 1
                dR[:, 3, :3] = dq / law.yield_stress
            return R, dR

        def weights(y):  # the change of e that an update of ln Δγ makes
            return np.concatenate([np.ones((len(y), 3)), np.exp(y[:, 3:])], axis=1)

        y, converged, dR = newton(system, y0, tolerance=TOLERANCE, weights=weights if creep else None)
        y[~converged] = np.nan
        dR_dtrial = np.zeros((len(y), 4, 3))
        dR_dtrial[:, :3, :] = -np.eye(3)
        return y[:, :3], (np.exp(y[:, 3]) if creep else y[:, 3]), implicit_derivative(dR, dR_dtrial)

    def update(self, F, Fg, Cp_inv, mu, lmbda, dt: float):
        """Return mapping over a step of length dt: (ReturnResult, equivalent creep strain increment Δγ)."""
        law = self.law
        elastic = NeoHookeanPrincipal(mu, lmbda)
        e_tr, directions = trial_state(F, Fg, Cp_inv)
        q_tr, _, nu_tr, _ = _flow(elastic, e_tr)
        n = len(e_tr)
        e, gamma, D = e_tr.copy(), np.zeros(n), np.broadcast_to(np.eye(3), (n, 3, 3)).copy()
        if dt > 0:
            idx = np.flatnonzero(q_tr > 0)
            q = self._hencky_creep_stress(q_tr[idx], elastic.mu[idx], dt)
            guess = (q_tr[idx] - q) / (3 * elastic.mu[idx])
            idx, guess = idx[guess > 0], guess[guess > 0]
            y0 = np.concatenate([e_tr[idx] - guess[:, None] * nu_tr[idx], np.log(guess)[:, None]], axis=1)
            e[idx], gamma[idx], D[idx] = self._solve(elastic.subset(idx), e_tr[idx], y0, dt)
        if law.yield_stress is not None:
            q_now, *_ = _flow(elastic, e)
            idx = np.flatnonzero(q_now > (1 + YIELD_TOLERANCE) * law.yield_stress)
            guess = (q_tr[idx] - law.yield_stress) / (3 * elastic.mu[idx])
            y0 = np.concatenate([e_tr[idx] - guess[:, None] * nu_tr[idx], guess[:, None]], axis=1)
            e[idx], gamma[idx], D[idx] = self._solve(elastic.subset(idx), e_tr[idx], y0, None)
        Cp_inv_new = inverse_plastic_metric(F, Fg, e, directions)
        return ReturnResult(Cp_inv_new, gamma > 0, e, D), gamma
