"""Return mapping of power-law creep with an optional yield stress (Li metal).

Isochoric flow along the deviator of the Cauchy stress, in principal
elastic log strains e (see principal.py), with ν = (3/2) s / q:

    e = e_tr − Δγ ν(e),   Δγ = Δt ε̇₀ (q(e)/σ₀)^m        (backward Euler)

solved for (e, ln Δγ) — the logarithm makes the power law linear and the
Newton iteration insensitive to the exponent. The initial guess is the
return along the trial deviator's direction n̂ = dev e_tr / |dev e_tr| with
the true elastic law: e(a) = (tr e_tr / 3) 1 + a n̂, reached from e_tr
after Δγ(a) = (|dev e_tr| − a) / (ν(e(a))·n̂), with a found by bisection
on ln a (exact where two trial strains are equal, as in axisymmetry). A
fast creep (or a yield stress far below q_tr) removes all but a tiny part
of the trial deviator, so a guess from a linearised (Hencky) law can land
past q = 0, where the flow direction flips and Newton cannot recover.
Where the creep solution leaves q above the yield stress
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
RAY_DEPTH = 30.0
"""The radial guess searches q/q_tr down to e⁻³⁰ ≈ 1e-13."""
ROUNDING_FLOOR = 1.0e-10
"""A local residual (strain, and ln Δγ) this small that Newton cannot reduce
is rounding: when creep leaves a deviator a far below the hydrostatic
strain, ν = (3/2) s/q carries a relative error ε |e| / a."""
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

    @staticmethod
    def _radial_return(elastic, e_tr, excess):
        """Initial guess (e, Δγ) on the ray e(a) = (tr e_tr / 3) 1 + a n̂.

        ``excess(q, gamma)`` is a function of the state at e(a) that
        decreases in a and vanishes at the solution; a is bracketed in
        (|dev e_tr| e⁻³⁰, |dev e_tr|) and bisected on ln a. Below a ≈ 1e-16
        |tr e_tr| the deviator is lost to rounding (q = 0, NaN): such a
        counts as too small.
        """
        mean = e_tr.mean(axis=1, keepdims=True)
        size = np.linalg.norm(e_tr - mean, axis=1)
        direction = (e_tr - mean) / size[:, None]

        def state(log_a):
            a = np.exp(log_a)
            e = mean + a[:, None] * direction
            q, _, nu, _ = _flow(elastic, e)
            return e, q, (size - a) / np.einsum("ni,ni->n", nu, direction)

        lo, hi = np.log(size) - RAY_DEPTH, np.log(size)
        for _ in range(BISECTIONS):
            mid = 0.5 * (lo + hi)
            _, q, gamma = state(mid)
            above = ~(excess(q, gamma) <= 0)  # NaN: q lost to rounding, a too small
            lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
        e, _, gamma = state(0.5 * (lo + hi))
        return e, gamma

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

        y, converged, dR = newton(
            system, y0, tolerance=TOLERANCE, weights=weights if creep else None, floor=ROUNDING_FLOOR
        )
        y[~converged] = np.nan
        dR_dtrial = np.zeros((len(y), 4, 3))
        dR_dtrial[:, :3, :] = -np.eye(3)
        return y[:, :3], (np.exp(y[:, 3]) if creep else y[:, 3]), implicit_derivative(dR, dR_dtrial)

    def update(self, F, Fg, Cp_inv, mu, lmbda, dt: float):
        """Return mapping over a step of length dt: (ReturnResult, equivalent creep strain increment Δγ)."""
        law = self.law
        elastic = NeoHookeanPrincipal(mu, lmbda)
        e_tr, directions = trial_state(F, Fg, Cp_inv)
        q_tr, *_ = _flow(elastic, e_tr)
        n = len(e_tr)
        e, gamma, D = e_tr.copy(), np.zeros(n), np.broadcast_to(np.eye(3), (n, 3, 3)).copy()
        if dt > 0:
            idx = np.flatnonzero(q_tr > 0)
            rate = dt * law.reference_rate

            def creep_excess(q, gamma):  # ln Δγ(a) − ln(Δt ε̇(q(a))): decreasing in a
                return np.log(gamma) - np.log(rate) - law.exponent * np.log(q / law.reference_stress)

            e0, gamma0 = self._radial_return(elastic.subset(idx), e_tr[idx], creep_excess)
            y0 = np.concatenate([e0, np.log(gamma0)[:, None]], axis=1)
            e[idx], gamma[idx], D[idx] = self._solve(elastic.subset(idx), e_tr[idx], y0, dt)
        if law.yield_stress is not None:
            q_now, *_ = _flow(elastic, e)
            idx = np.flatnonzero(q_now > (1 + YIELD_TOLERANCE) * law.yield_stress)
            e0, gamma0 = self._radial_return(
                elastic.subset(idx), e_tr[idx], lambda q, gamma: law.yield_stress - q
            )
            y0 = np.concatenate([e0, gamma0[:, None]], axis=1)
            e[idx], gamma[idx], D[idx] = self._solve(elastic.subset(idx), e_tr[idx], y0, None)
        Cp_inv_new = inverse_plastic_metric(F, Fg, e, directions)
        return ReturnResult(Cp_inv_new, gamma > 0, e, D), gamma
