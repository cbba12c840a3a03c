"""A homogenised composite electrode: mean-field moduli, swelling and porosity at every ξ.

The composite is made of solid phases r (exactly one active S/Li2S phase a,
the others inert) and pores (K = G = 0). The case gives, at the fabricated
(reference) state ξ_ref, the solids' shares of the solid volume and the
porosity p₀, so the volume fractions are f_r = (1 − p₀) × share.

Stress-free volumes per reference volume of composite: inert solids keep
f_r, the active phase grows to f_a r(ξ) with r = Jg_a(ξ) / Jg_a(ξ_ref) its
own volume ratio, and V_free = Σ_solids of them. A share φ ("pore filling")
of the active phase's volume change goes into the pores while there are any
(dV_f = φ f_a dr); the rest, dV_s = f_a dr − dV_f, strains the skeleton.

State along ξ: the composite's free-swelling volume ratio Jg and its pore
volume V_p (both per reference volume); the porosity is p = V_p / Jg and
the solids share 1 − p in proportion to their stress-free volumes. The
mean-field estimate of the case (Mori–Tanaka by default, see
``homogenization``) at these volume fractions, with each phase's moduli at
ξ, gives K(ξ), G(ξ) and the active phase's volumetric stress concentration
b_a. Levin's relation, applied to each increment on the current state,

    dJg / Jg = c_a b_a dθ_a = (1 − p) b_a dV_s / V_free,
    dV_p     = V_p dJg / Jg − dV_f,

(pores dilate with the composite: in every comparison-medium estimate a
pore's volumetric strain equals the composite's) is integrated from ξ_ref by
the classical Runge–Kutta method, 200 steps per unit ξ, with the nodes of a
tabulated swelling law and the moment the pores are full (found to 1e-14) as
nodes; values between nodes are cubic Hermite interpolants (error ~1e-10).

Limits the tests check: no elastic contrast and no pores give
Jg = 1 + f_a (r − 1) (volumes add); small swelling at fixed moduli gives
Levin's (two phases) or the mean-field (more phases) effective eigenstrain;
φ = 1 keeps Jg = 1 while p = p₀ − f_a (r − 1) > 0; one active solid with
pores gives Jg = r^(1−φ) and p = p₀ − (1 − p₀)(r^φ − 1) until p = 0.

The porosity is a function of ξ (reversible): pores filled on lithiation
open again on delithiation, and a shrinking Li2S phase opens pores.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike

from chemomech.materials import homogenization as hom
from chemomech.materials.material import MaterialLaw

STEPS_PER_UNIT_XI = 200
"""Runge–Kutta steps per unit change of ξ."""

SWELLING_LAW = (
    "incremental Levin/Hill mean-field: dJg/Jg = (1 - porosity) b_a dV_s / V_free, "
    "dV_p = V_p dJg/Jg - dV_f, dV_f = pore_filling f_a dr while pores remain, dV_s = f_a dr - dV_f"
)


@dataclass(frozen=True)
class Phase:
    """One solid phase: its material and its share of the solid volume at the reference state."""

    name: str
    material: MaterialLaw
    solid_fraction: float
    given_fraction: float
    """As written in the case: by volume or by weight (see the composite's basis)."""
    density: float | None = None
    """kg/m³, where known."""


@dataclass(frozen=True)
class _Interval:
    """One integration step: state y = (Jg, V_p) and dy/dξ at both ends."""

    lo: float
    hi: float
    y_lo: np.ndarray
    y_hi: np.ndarray
    dy_lo: np.ndarray
    dy_hi: np.ndarray


@dataclass(frozen=True)
class CompositeMaterial:
    """A homogenised composite: the Material interface from a mean-field model of its phases."""

    name: str
    phases: tuple[Phase, ...]
    active: str
    """Name of the lithiating phase."""
    matrix: str
    """Mori–Tanaka matrix phase."""
    reference_porosity: float = 0.0
    pore_filling: float = 0.0
    scheme: str = "mori_tanaka"
    basis: str = "volume"
    reference_xi: float = 0.0
    """The state the fractions are given at (0: sulfur, 1: Li2S)."""
    sources: Mapping[str, str] = field(default_factory=dict)
    breathing: None = None
    """A composite cathode is never the counter electrode (see physics.electrode_balance)."""

    # -- phases -------------------------------------------------------------

    def _index(self, name: str) -> int:
        return [phase.name for phase in self.phases].index(name)

    @cached_property
    def _fractions0(self) -> np.ndarray:
        """Volume fractions of the solids at the reference state (pores excluded)."""
        return (1 - self.reference_porosity) * np.array([phase.solid_fraction for phase in self.phases])

    @property
    def active_fraction(self) -> float:
        """Volume fraction f_a of the active phase at the reference state."""
        return float(self._fractions0[self._index(self.active)])

    def _active_ratio(self, xi: np.ndarray) -> np.ndarray:
        """r(ξ) = Jg_a(ξ) / Jg_a(ξ_ref): the active phase's stress-free volume ratio."""
        law = self.phases[self._index(self.active)].material
        return np.asarray(law.growth_jacobian(xi) / law.growth_jacobian(self.reference_xi), dtype=float)

    def _free_volumes(self, xi: np.ndarray) -> np.ndarray:
        """Stress-free volume of each solid per reference volume, shape (solids, *xi.shape)."""
        volumes = np.multiply.outer(self._fractions0, np.ones(xi.shape))
        a = self._index(self.active)
        volumes[a] = volumes[a] * self._active_ratio(xi)
        return volumes

    def _moduli(self, xi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(K, G) of every phase at ξ, pores last, shape (solids + 1, *xi.shape)."""
        K, G = [], []
        for phase in self.phases:
            mu, lmbda = phase.material.lame(xi)
            K.append(np.broadcast_to(lmbda + 2 * mu / 3, xi.shape))
            G.append(np.broadcast_to(mu, xi.shape))
        zero = np.zeros(xi.shape)
        return np.array([*K, zero]), np.array([*G, zero])

    def _volume_fractions(self, xi: np.ndarray, jg: np.ndarray, pores: np.ndarray) -> np.ndarray:
        """Volume fractions at ξ, pores last: p = V_p / Jg, solids share 1 − p by stress-free volume."""
        free = self._free_volumes(xi)
        porosity = pores / jg
        return np.array([*((1 - porosity) * free / free.sum(axis=0)), porosity])

    def _estimate(self, scheme: str, xi: np.ndarray, fractions: np.ndarray) -> hom.Estimate:
        K, G = self._moduli(xi)
        return hom.estimate(scheme, fractions, K, G, self._index(self.matrix))

    # -- swelling and porosity along ξ ---------------------------------------

    def _rate(self, xi: float, y: np.ndarray, slope: float, filling: bool) -> np.ndarray:
        """d(Jg, V_p)/dξ at ξ for dr/dξ = ``slope``, with or without pore filling."""
        x = np.array(xi)
        jg, pores = y
        fractions = self._volume_fractions(x, np.array(jg), np.array(pores))
        b_active = self._estimate(self.scheme, x, fractions).stress_concentration[self._index(self.active)]
        f_a = self.active_fraction
        filled = self.pore_filling * f_a * slope if filling else 0.0
        skeleton = f_a * slope - filled
        d_jg = jg * (1 - fractions[-1]) * b_active * skeleton / self._free_volumes(x).sum()
        return np.array([d_jg, pores * d_jg / jg - filled])

    def _step(self, a: float, h: float, y: np.ndarray, slope: float, filling: bool) -> tuple[np.ndarray, np.ndarray]:
        """One classical Runge–Kutta step of length h from (a, y): (y(a + h), dy/dξ at a)."""
        k1 = self._rate(a, y, slope, filling)
        k2 = self._rate(a + h / 2, y + h / 2 * k1, slope, filling)
        k3 = self._rate(a + h / 2, y + h / 2 * k2, slope, filling)
        k4 = self._rate(a + h, y + h * k3, slope, filling)
        return y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4), k1

    def _until_full(self, a: float, h: float, y: np.ndarray, slope: float) -> float:
        """Length t·h (0 < t < 1) of the step after which the pores are full (secant method on V_p)."""
        t0, v0, t1 = 0.0, y[1], 1.0
        v1 = self._step(a, h, y, slope, True)[0][1]
        for _ in range(50):
            if v1 == v0 or abs(v1) < 1e-14:
                break
            t0, v0, t1 = t1, v1, min(max(t1 - v1 * (t1 - t0) / (v1 - v0), 0.0), 1.0)
            v1 = self._step(a, t1 * h, y, slope, True)[0][1]
        return t1 * h

    def _integrate(self, end: float) -> list[_Interval]:
        """Intervals from ξ_ref to ``end`` (0 or 1)."""
        start = self.reference_xi
        law = getattr(self.phases[self._index(self.active)].material, "swelling", None)
        breaks = [] if law is None or law.table is None else list(law.table[0])
        count = max(1, int(np.ceil(abs(end - start) * STEPS_PER_UNIT_XI)))
        inside = (x for x in breaks if min(start, end) < x < max(start, end))
        nodes = sorted({*np.linspace(start, end, count + 1), *inside})
        nodes = nodes if end > start else nodes[::-1]
        y = np.array([1.0, self.reference_porosity])
        intervals = []
        for a, b in zip(nodes[:-1], nodes[1:], strict=True):
            slope = float((self._active_ratio(np.array(b)) - self._active_ratio(np.array(a))) / (b - a))
            growing = slope * (b - a) > 0
            filling = self.pore_filling > 0 and (y[1] > 0 or not growing)
            h = b - a
            y_end, dy = self._step(a, h, y, slope, filling)
            if filling and growing and y_end[1] < 0:  # the pores fill up inside this step
                h = self._until_full(a, b - a, y, slope)
                y_full, dy = self._step(a, h, y, slope, True)
                y_full[1] = 0.0
                intervals.append(_Interval(a, a + h, y, y_full, dy, self._rate(a + h, y_full, slope, True)))
                y, a, h, filling = y_full, a + h, b - (a + h), False
                if abs(h) < 1e-15:
                    continue
                y_end, dy = self._step(a, h, y, slope, False)
            intervals.append(_Interval(a, b, y, y_end, dy, self._rate(b, y_end, slope, filling)))
            y = y_end
        return intervals

    @cached_property
    def _path(self) -> list[_Interval]:
        """All intervals over [0, 1], sorted by ξ, each with lo < hi."""
        intervals = []
        for end in (0.0, 1.0):
            if end != self.reference_xi:
                for piece in self._integrate(end):
                    if piece.lo > piece.hi:
                        piece = _Interval(piece.hi, piece.lo, piece.y_hi, piece.y_lo, piece.dy_hi, piece.dy_lo)
                    intervals.append(piece)
        return sorted(intervals, key=lambda piece: piece.lo)

    def _state(self, xi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(Jg, V_p) at ξ by cubic Hermite interpolation on the integration intervals."""
        path = self._path
        lows = np.array([piece.lo for piece in path])
        which = np.clip(np.searchsorted(lows, xi, side="right") - 1, 0, len(path) - 1)
        out = np.empty((2, *xi.shape))
        for index, x in np.ndenumerate(xi):
            piece = path[which[index]]
            h = piece.hi - piece.lo
            t = (x - piece.lo) / h
            h00, h10, h01, h11 = 2 * t**3 - 3 * t**2 + 1, t**3 - 2 * t**2 + t, -2 * t**3 + 3 * t**2, t**3 - t**2
            value = h00 * piece.y_lo + h10 * h * piece.dy_lo + h01 * piece.y_hi + h11 * h * piece.dy_hi
            out[(slice(None), *index)] = value
        return out[0], out[1]

    # -- the Material interface ----------------------------------------------

    def volume_fractions(self, xi: ArrayLike) -> dict[str, np.ndarray | float]:
        """Phase name (and "pores") -> volume fraction at ξ."""
        x = np.asarray(xi, dtype=float)
        fractions = self._volume_fractions(x, *self._state(x))
        names = [phase.name for phase in self.phases] + ["pores"]
        return {name: _shaped(value, xi) for name, value in zip(names, fractions, strict=True)}

    def porosity(self, xi: ArrayLike) -> np.ndarray | float:
        """Pore volume fraction V_p / Jg at ξ."""
        return self.volume_fractions(xi)["pores"]

    def bulk_shear(self, xi: ArrayLike, scheme: str | None = None) -> tuple:
        """(K, G) at ξ by the composite's scheme, or by ``scheme`` (one of homogenization.SCHEMES)."""
        x = np.asarray(xi, dtype=float)
        estimate = self._estimate(scheme or self.scheme, x, self._volume_fractions(x, *self._state(x)))
        return _shaped(estimate.bulk, xi), _shaped(estimate.shear, xi)

    def moduli(self, xi: ArrayLike) -> tuple:
        """(E, ν) at ξ."""
        E, nu = hom.youngs_poisson(*self.bulk_shear(xi))
        return _shaped(E, xi), _shaped(nu, xi)

    def lame(self, xi: ArrayLike) -> tuple:
        """(μ, λ) = (G, K − 2G/3) at ξ."""
        K, G = self.bulk_shear(xi)
        return G, K - 2 * G / 3

    def growth_jacobian(self, xi: ArrayLike) -> np.ndarray | float:
        """Jg(ξ), the free-swelling volume ratio; 1 at ξ_ref."""
        return _shaped(self._state(np.asarray(xi, dtype=float))[0], xi)

    def growth_stretch(self, xi: ArrayLike) -> np.ndarray | float:
        """g(ξ) = Jg(ξ)^(1/3), so that Fg = g I."""
        return np.cbrt(self.growth_jacobian(xi))

    def describe(self) -> dict:
        """Composition, scheme, swelling law and, at ξ = 0 and 1, moduli, bounds, Jg and fractions (SI)."""

        def state(xi: float) -> dict:
            K, G = self.bulk_shear(xi)
            E, nu = self.moduli(xi)
            bounds = {
                bound: dict(zip(("bulk_modulus", "shear_modulus"), self.bulk_shear(xi, f"hashin_shtrikman_{bound}")))
                for bound in ("lower", "upper")
            }
            return {
                "bulk_modulus": K,
                "shear_modulus": G,
                "youngs_modulus": E,
                "poisson_ratio": nu,
                "hashin_shtrikman_lower": bounds["lower"],
                "hashin_shtrikman_upper": bounds["upper"],
                "growth_jacobian": self.growth_jacobian(xi),
                "porosity": self.porosity(xi),
                "volume_fractions": self.volume_fractions(xi),
            }

        active = self.phases[self._index(self.active)].material
        return {
            "name": self.name,
            "model": "homogenised composite",
            "scheme": self.scheme,
            "matrix": self.matrix,
            "active_phase": self.active,
            "active_fraction": self.active_fraction,
            "basis": self.basis,
            "reference_xi": self.reference_xi,
            "pore_filling": self.pore_filling,
            "volume_fractions": self.volume_fractions(self.reference_xi),
            "phases": {
                phase.name: {
                    "material": phase.material.name,
                    "given_fraction": phase.given_fraction,
                    "density": phase.density,
                    "properties": phase.material.describe(),
                }
                for phase in self.phases
            },
            "swelling": {
                "law": SWELLING_LAW,
                "active_phase": asdict(active.swelling) if hasattr(active, "swelling") else None,
            },
            "states": {"xi=0": state(0.0), "xi=1": state(1.0)},
            "sources": dict(self.sources),
        }


def _shaped(values: np.ndarray, like: ArrayLike) -> np.ndarray | float:
    """A float where ``like`` is a number, else an array shaped like it."""
    return float(values) if np.ndim(like) == 0 else np.asarray(values).reshape(np.shape(like))
