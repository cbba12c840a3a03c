"""Mean-field homogenisation of isotropic multiphase composites (pure numpy).

Phases r have volume fractions f_r (Σ f_r = 1), bulk moduli K_r and shear
moduli G_r; pores are a phase with K = G = 0. Arrays hold the phases on the
first axis; further axes broadcast (for instance over states of lithiation).

Every estimate here is of the Hashin–Shtrikman–Walpole form with comparison
moduli (k*, g*) (Walpole, J. Mech. Phys. Solids 14, 151, 1966):

    K(k*) = [Σ f_r / (K_r + k*)]⁻¹ − k*,    G(g*) = [Σ f_r / (G_r + g*)]⁻¹ − g*,
    ζ(K, G) = G/6 · (9K + 8G) / (K + 2G),

- Mori–Tanaka, spherical inclusions in the matrix phase m (Mori & Tanaka,
  Acta Metall. 21, 571, 1973; Benveniste, Mech. Mater. 6, 147, 1987):
  k* = 4/3 G_m, g* = ζ(K_m, G_m), written in its concentration form
      K_MT = Σ f_r K_r P_r / Σ f_r P_r,   P_r = (K_m + 4/3 G_m) / (K_r + 4/3 G_m),
      G_MT = Σ f_r G_r Q_r / Σ f_r Q_r,   Q_r = (G_m + ζ_m) / (G_r + ζ_m);
- Hashin–Shtrikman bounds for any ordering of the phases: upper with
  k* = 4/3 G_max, g* = ζ(K_max, G_max), lower with the minima (maxima and
  minima over the phases present);
- Voigt (k* → ∞, Σ f_r K_r) and Reuss (k* = 0, harmonic mean).

Swelling: each estimate also gives the volumetric stress-concentration
factors b_r (mean stress of phase r per macroscopic hydrostatic stress,
Σ f_r b_r = 1). For the comparison-medium form

    b_r = [K_r / (K_r + k*)] / Σ_s f_s K_s / (K_s + k*),

and the effective volumetric eigenstrain of phases with eigenstrains θ*_r is
(Levin, Mech. Solids 2, 58, 1967; Hill's concentration-factor form)

    θ*_eff = Σ f_r b_r θ*_r,

which for two phases, the matrix m without eigenstrain, is exactly Levin's
relation θ*_eff = θ*_p K_p (K_eff − K_m) / (K_eff (K_p − K_m)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike


@dataclass(frozen=True)
class Estimate:
    """Effective bulk and shear moduli and the phases' volumetric stress concentrations b_r."""

    bulk: np.ndarray
    shear: np.ndarray
    stress_concentration: np.ndarray


def bulk_shear(E: ArrayLike, nu: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(K, G) = (E / (3 (1 − 2ν)), E / (2 (1 + ν)))."""
    E, nu = np.asarray(E, dtype=float), np.asarray(nu, dtype=float)
    return E / (3 * (1 - 2 * nu)), E / (2 * (1 + nu))


def youngs_poisson(K: ArrayLike, G: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(E, ν) = (9KG / (3K + G), (3K − 2G) / (2 (3K + G)))."""
    K, G = np.asarray(K, dtype=float), np.asarray(G, dtype=float)
    return 9 * K * G / (3 * K + G), (3 * K - 2 * G) / (2 * (3 * K + G))


def zeta(K: ArrayLike, G: ArrayLike) -> np.ndarray:
    """ζ(K, G) = G/6 (9K + 8G) / (K + 2G); 0 where G = 0."""
    K, G = np.asarray(K, dtype=float), np.asarray(G, dtype=float)
    denominator = 6 * (K + 2 * G)
    return np.divide(G * (9 * K + 8 * G), denominator, out=np.zeros(np.broadcast(K, G).shape), where=G > 0)


def _harmonic(f: np.ndarray, x: np.ndarray) -> np.ndarray:
    """[Σ f_r / x_r]⁻¹ over the first axis; 0 where a phase present has x_r = 0."""
    present = f > 0
    vanishing = np.any(present & (x <= 0), axis=0)
    total = np.sum(np.divide(f, x, out=np.zeros(np.broadcast(f, x).shape), where=present & (x > 0)), axis=0)
    return np.divide(1.0, total, out=np.zeros(np.shape(total)), where=~vanishing)


def _concentration(f: np.ndarray, K: np.ndarray, k_star: np.ndarray) -> np.ndarray:
    """b_r = [K_r / (K_r + k*)] / Σ_s f_s K_s / (K_s + k*) (a pore, K_r = 0, carries none)."""
    weight = np.divide(K, K + k_star, out=np.zeros(np.broadcast(K, k_star).shape), where=K > 0)
    return weight / np.sum(f * weight, axis=0)


def _arrays(f: ArrayLike, K: ArrayLike, G: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    f, K, G = (np.asarray(a, dtype=float) for a in (f, K, G))
    return np.broadcast_arrays(f, K, G)


def comparison_medium(f: ArrayLike, K: ArrayLike, G: ArrayLike, k_star: ArrayLike, g_star: ArrayLike) -> Estimate:
    """The Hashin–Shtrikman–Walpole estimate for comparison moduli k* (bulk) and g* (shear), both finite."""
    f, K, G = _arrays(f, K, G)
    k_star, g_star = np.asarray(k_star, dtype=float), np.asarray(g_star, dtype=float)
    return Estimate(
        bulk=_harmonic(f, K + k_star) - k_star,
        shear=_harmonic(f, G + g_star) - g_star,
        stress_concentration=_concentration(f, K, k_star),
    )


def mori_tanaka(f: ArrayLike, K: ArrayLike, G: ArrayLike, matrix: int) -> Estimate:
    """Mori–Tanaka with spherical inclusions in phase ``matrix`` (index on the first axis)."""
    f, K, G = _arrays(f, K, G)
    Km, Gm = K[matrix], G[matrix]
    P = (Km + 4 / 3 * Gm) / (K + 4 / 3 * Gm)
    zeta_m = zeta(Km, Gm)
    Q = (Gm + zeta_m) / (G + zeta_m)
    return Estimate(
        bulk=np.sum(f * K * P, axis=0) / np.sum(f * P, axis=0),
        shear=np.sum(f * G * Q, axis=0) / np.sum(f * Q, axis=0),
        stress_concentration=K * P / np.sum(f * K * P, axis=0),
    )


def _extreme(f: np.ndarray, x: np.ndarray, upper: bool) -> np.ndarray:
    """Largest (or smallest) x_r over the phases present (f_r > 0)."""
    if upper:
        return np.max(np.where(f > 0, x, -np.inf), axis=0)
    return np.min(np.where(f > 0, x, np.inf), axis=0)


def hashin_shtrikman(f: ArrayLike, K: ArrayLike, G: ArrayLike, bound: str) -> Estimate:
    """The multiphase Hashin–Shtrikman bound, ``bound`` "upper" or "lower" (Walpole's form)."""
    f, K, G = _arrays(f, K, G)
    upper = {"upper": True, "lower": False}[bound]
    K0, G0 = _extreme(f, K, upper), _extreme(f, G, upper)
    return comparison_medium(f, K, G, 4 / 3 * G0, zeta(K0, G0))


def voigt(f: ArrayLike, K: ArrayLike, G: ArrayLike) -> Estimate:
    """Uniform strain: K = Σ f_r K_r, G = Σ f_r G_r, b_r = K_r / K."""
    f, K, G = _arrays(f, K, G)
    bulk = np.sum(f * K, axis=0)
    return Estimate(bulk=bulk, shear=np.sum(f * G, axis=0), stress_concentration=K / bulk)


def reuss(f: ArrayLike, K: ArrayLike, G: ArrayLike) -> Estimate:
    """Uniform stress: harmonic means (0 with pores), b_r = 1 for every solid phase."""
    f, K, G = _arrays(f, K, G)
    return comparison_medium(f, K, G, 0.0, 0.0)


SCHEMES = ("mori_tanaka", "hashin_shtrikman_upper", "hashin_shtrikman_lower", "voigt", "reuss")
"""The estimates a composite can use for its moduli and swelling."""


def estimate(scheme: str, f: ArrayLike, K: ArrayLike, G: ArrayLike, matrix: int) -> Estimate:
    """The estimate named ``scheme`` (one of SCHEMES); ``matrix`` is used by Mori–Tanaka only."""
    if scheme == "mori_tanaka":
        return mori_tanaka(f, K, G, matrix)
    if scheme.startswith("hashin_shtrikman_"):
        return hashin_shtrikman(f, K, G, scheme.removeprefix("hashin_shtrikman_"))
    return {"voigt": voigt, "reuss": reuss}[scheme](f, K, G)


def effective_eigenstrain(f: ArrayLike, stress_concentration: ArrayLike, eigenstrain: ArrayLike) -> np.ndarray:
    """θ*_eff = Σ f_r b_r θ*_r (volumetric, or linear: the relation is the same)."""
    return np.sum(np.asarray(f) * np.asarray(stress_concentration) * np.asarray(eigenstrain), axis=0)


def levin_two_phase(eigenstrain: ArrayLike, K_p: ArrayLike, K_m: ArrayLike, K_eff: ArrayLike) -> np.ndarray:
    """Levin's exact two-phase relation ε*_eff = ε*_p K_p (K_eff − K_m) / (K_eff (K_p − K_m)).

    Phase p carries the eigenstrain ε*_p, the matrix m none; K_p ≠ K_m.
    """
    return np.asarray(eigenstrain) * K_p * (K_eff - K_m) / (K_eff * (np.asarray(K_p) - K_m))


def volume_fractions_from_weight(weight_fractions: ArrayLike, densities: ArrayLike) -> np.ndarray:
    """f_r = (w_r / ρ_r) / Σ_s (w_s / ρ_s): volume shares of phases given by mass share and density."""
    volumes = np.asarray(weight_fractions, dtype=float) / np.asarray(densities, dtype=float)
    return volumes / np.sum(volumes)
