"""Return mapping of the compaction cap (modified Cam-Clay with Heckel hardening).

Yield function on the Cauchy stress (chemomech.materials.inelastic):

    f(σ, φ) = q²/M² + (p + p_t)(p − p_c(φ)),

associated flow ∂f/∂σ_i = 3 s_i / M² − (2p + p_t − p_c) / 3 in principal
components (s the deviator). The porosity of the stress-free configuration
follows the plastic volume Jp = det Fp,

    φ = 1 − ρ / Jp,   ρ = (Jg − φ₀) / Jg,   ln Jp = ln Jpₙ + θ_tr − θ,

with θ = Σ e_i = ln Je (the trial step keeps Jp = Jpₙ). The local problem of
one step, unknowns e (3) and z = S Δλ (S = p_c(φₙ) + p_t),

    e − e_tr + Δλ ∂f/∂σ(e, φ) = 0,   f(e, φ) = 0,

is solved where the trial state violates f ≤ 0; elsewhere the step is
elastic (Cp⁻¹ unchanged). Compaction (p > (p_c − p_t)/2, the cap) lowers
Jp and φ and raises p_c; the other side of the ellipse dilates and softens.
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
YIELD_TOLERANCE = 1.0e-10
"""f ≤ tol · S² counts as elastic: a state left on the cap by the last step stays elastic."""


def solid_fraction(Jg, initial_porosity: float):
    """ρ = (Jg − φ₀) / Jg: solid volume per stress-free volume at Jp = 1."""
    return (Jg - initial_porosity) / Jg


def porosity(Cp_inv, Jg, initial_porosity: float):
    """φ = 1 − ρ / Jp with Jp = det(Cp⁻¹)^(−1/2)."""
    return 1 - solid_fraction(Jg, initial_porosity) * np.sqrt(np.linalg.det(Cp_inv))


class CompactionReturn:
    """Vectorised return mapping of one compacting region (law: CompactionLaw)."""

    def __init__(self, law):
        self.law = law

    def _yield(self, elastic, e, rho, log_jp_trial):
        """f and n = ∂f/∂σ at e, with their e-derivatives split into the part through σ and the
        part through the porosity (φ depends on θ − θ_tr only, so the e_tr-derivatives are minus
        the porosity parts). ``log_jp_trial`` = ln Jpₙ + θ_tr.
        """
        law = self.law
        M2, pt = law.critical_state_slope**2, law.tensile_strength
        sigma, dsigma = elastic.stress(e)
        p, s, _, dp, ds, _ = invariants(sigma, dsigma)
        jp = np.exp(log_jp_trial - e.sum(axis=1))
        phi = 1 - rho / jp
        phi = np.where((phi > 0) & (phi < 1), phi, np.nan)
        pc = law.cap_pressure(phi)
        dpc = -law.cap_slope(phi) * (1 - phi)  # dp_c/dθ: dφ/dθ = −(1 − φ)
        f = 1.5 * np.einsum("ni,ni->n", s, s) / M2 + (p + pt) * (p - pc)
        df_sigma = 3 / M2 * np.einsum("ni,nij->nj", s, ds) + (2 * p + pt - pc)[:, None] * dp
        df_phi = -(p + pt) * dpc  # times ∂θ/∂e_j = 1
        n = 3 * s / M2 - ((2 * p + pt - pc) / 3)[:, None]
        dn_sigma = 3 / M2 * ds - (2 * dp / 3)[:, None, :]
        dn_phi = dpc / 3  # times ∂θ/∂e_j = 1, same for every component i
        return f, df_sigma, df_phi, n, dn_sigma, dn_phi

    def update(self, F, Fg, Cp_inv, mu, lmbda) -> ReturnResult:
        """Return mapping of one step (NaN where the local solve failed)."""
        elastic = NeoHookeanPrincipal(mu, lmbda)
        e_tr, directions = trial_state(F, Fg, Cp_inv)
        rho = solid_fraction(np.linalg.det(Fg), self.law.initial_porosity)
        log_jp_trial = -0.5 * np.log(np.linalg.det(Cp_inv)) + e_tr.sum(axis=1)
        f, *_ = self._yield(elastic, e_tr, rho, log_jp_trial)
        phi_n = 1 - rho * np.sqrt(np.linalg.det(Cp_inv))
        scale = self.law.cap_pressure(phi_n) + self.law.tensile_strength
        plastic = ~(f <= YIELD_TOLERANCE * scale**2)  # NaN (porosity out of range) fails below
        n = len(e_tr)
        e, D = e_tr.copy(), np.broadcast_to(np.eye(3), (n, 3, 3)).copy()
        idx = np.flatnonzero(plastic)
        if idx.size:
            scale = scale[idx]
            e_tr_p, rho_p, log_p = e_tr[idx], rho[idx], log_jp_trial[idx]
            sub = elastic.subset(idx)

            def system(y, points, trial_derivative=False):
                e_, z = y[:, :3], y[:, 3]
                S = scale[points]
                f_, df_s, df_p, n_, dn_s, dn_p = self._yield(sub.subset(points), e_, rho_p[points], log_p[points])
                R = np.concatenate([e_ - e_tr_p[points] + (z / S)[:, None] * n_, (f_ / S**2)[:, None]], axis=1)
                dR = np.zeros((len(points), 4, 4))
                dR[:, :3, :3] = np.eye(3) + (z / S)[:, None, None] * (dn_s + dn_p[:, None, None])
                dR[:, :3, 3] = n_ / S[:, None]
                dR[:, 3, :3] = (df_s + df_p[:, None]) / S[:, None] ** 2
                if not trial_derivative:
                    return R, dR
                dR_dtrial = np.zeros((len(points), 4, 3))
                dR_dtrial[:, :3, :] = -np.eye(3) - (z / S * dn_p)[:, None, None]
                dR_dtrial[:, 3, :] = -(df_p / S**2)[:, None]
                return R, dR, dR_dtrial

            y0 = np.concatenate([e_tr_p, np.zeros((idx.size, 1))], axis=1)
            y, converged, dR = newton(system, y0, tolerance=TOLERANCE)
            y[~converged] = np.nan
            _, _, dR_dtrial = system(y, np.arange(idx.size), trial_derivative=True)
            e[idx], D[idx] = y[:, :3], implicit_derivative(dR, dR_dtrial)
        return ReturnResult(inverse_plastic_metric(F, Fg, e, directions), plastic, e, D)
