"""Parameters of the inelastic laws: powder compaction and power-law creep.

Pure Python (no DOLFINx); the return mappings that use them live in
``chemomech.physics.inelastic``.

Compaction of a pressed sulfide powder (physics.md section 3) — a modified
Cam-Clay cap on the Cauchy mean pressure p = −tr σ / 3 and von Mises stress q,

    f = q² / M² + (p + p_t) (p − p_c(φ)) ≤ 0,

hardening through the porosity φ of the stress-free configuration, with
the compaction pressure taken from Heckel's law for die pressing,

    ln(1/φ) = k P + A   ⇔   P_H(φ) = (ln(1/φ) − A) / k,

where P is the *axial* die pressure of the measurement. In a rigid die the
cap is loaded along the K0 line q = η₀ p' (p' = p + p_t), η₀ the root of
η² + 3η − M² = 0 (associated flow with purely axial plastic strain), so
that p_c + p_t = c (P + p_t) with c = (1 + η₀²/M²) / (1 + 2η₀/3). The cap
is therefore

    p_c(φ) = c (P_H(φ) + p_t) − p_t,

which reproduces the measured die-compaction curve exactly in the
rigid-plastic limit. The porosity follows from conservation of the solid
(swelling adds solid volume Jg − 1 per reference volume, pores do not swell):
(1 − φ) Jp Jg = Jg − φ₀, Jp = det Fp.

Creep of Li metal — power-law viscoplasticity of the von Mises stress,
isochoric flow along the deviator,

    ε̇_p = ε̇₀ (σ_eq / σ₀)^m,

optionally bounded by a rate-independent yield stress σ_y (σ_eq ≤ σ_y):
the yield limit acts when the creep law alone would leave σ_eq above it
(for instance during the instantaneous preload, Δt = 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from chemomech.case.units import ureg
from chemomech.materials.library import INELASTIC_FILE, default_library, inelastic_library


@dataclass(frozen=True)
class CompactionLaw:
    """Cap plasticity of a pressed powder with Heckel hardening (SI units)."""

    initial_porosity: float
    heckel_slope: float  # k, 1/Pa
    heckel_intercept: float  # A, -
    critical_state_slope: float = 1.2  # M, -
    tensile_strength: float = 1.0e6  # p_t, Pa

    @property
    def k0_ratio(self) -> float:
        """η₀ = q / p' on the cap under die compaction: η² + 3η − M² = 0."""
        M = self.critical_state_slope
        return 0.5 * (math.sqrt(9 + 4 * M**2) - 3)

    @property
    def die_factor(self) -> float:
        """c = (1 + η₀²/M²) / (1 + 2η₀/3): (p_c + p_t) / (P_axial + p_t) in a die."""
        eta, M = self.k0_ratio, self.critical_state_slope
        return (1 + eta**2 / M**2) / (1 + 2 * eta / 3)

    @property
    def loosest_porosity(self) -> float:
        """exp(−A): the porosity at zero die pressure of Heckel's law."""
        return math.exp(-self.heckel_intercept)

    def heckel_pressure(self, porosity):
        """Axial die pressure P_H(φ) = (ln(1/φ) − A) / k that compacts to porosity φ."""
        return (-np.log(porosity) - self.heckel_intercept) / self.heckel_slope

    def heckel_porosity(self, pressure):
        """φ(P) = exp(−(k P + A))."""
        return np.exp(-(self.heckel_slope * pressure + self.heckel_intercept))

    def cap_pressure(self, porosity):
        """p_c(φ) = c (P_H(φ) + p_t) − p_t."""
        return self.die_factor * (self.heckel_pressure(porosity) + self.tensile_strength) - self.tensile_strength

    def cap_slope(self, porosity):
        """dp_c/dφ = −c / (k φ)."""
        return -self.die_factor / (self.heckel_slope * porosity)


@dataclass(frozen=True)
class CreepLaw:
    """Power-law creep ε̇ = ε̇₀ (σ_eq/σ₀)^m with an optional yield stress (SI units)."""

    reference_rate: float  # ε̇₀, 1/s
    reference_stress: float  # σ₀, Pa
    exponent: float  # m, -
    yield_stress: float | None = None  # σ_y, Pa

    def rate(self, stress):
        """ε̇(σ_eq) = ε̇₀ (σ_eq/σ₀)^m."""
        return self.reference_rate * (stress / self.reference_stress) ** self.exponent



def compaction_curve(prop) -> tuple[np.ndarray, np.ndarray]:
    """Die pressures [Pa] and porosities of a ``relative_density_vs_pressing`` row.

    The value is written ``"61@74MPa,80@200MPa,…"``: relative density (in the
    row's unit, %) at an axial pressing pressure.
    """
    density_scale = float(ureg.Quantity(1, prop.unit).to_base_units().magnitude) if prop.unit != "-" else 1.0
    pressures, porosities = [], []
    for point in prop.written.split(","):
        density, pressure = point.split("@")
        pressures.append(float(ureg.Quantity(pressure).to_base_units().magnitude))
        porosities.append(1 - float(density) * density_scale)
    return np.array(pressures), np.array(porosities)


def heckel_fit(pressures: np.ndarray, porosities: np.ndarray) -> tuple[float, float, float]:
    """Least-squares fit of ln(1/φ) = k P + A: returns k [1/Pa], A and R²."""
    y = -np.log(porosities)
    k, A = np.polyfit(pressures, y, 1)
    residual = y - (k * pressures + A)
    return float(k), float(A), float(1 - residual @ residual / np.sum((y - y.mean()) ** 2))


@cache
def compaction_defaults() -> dict[str, tuple[float, str]]:
    """Library values of the compaction parameters: name -> (SI value, source).

    Heckel's k and A come from the fit to the compaction curve named in
    data/inelastic.csv (a Li2S-P2S5 glass, the one measured sulfide curve,
    used as a proxy for the other sulfide electrolytes); M and p_t are
    placeholders from the same file.
    """
    extra = inelastic_library().get("sulfide_powder")
    curve_prop = extra["compaction_curve"]
    curve = default_library().get(curve_prop.written)["relative_density_vs_pressing"]
    k, A, r2 = heckel_fit(*compaction_curve(curve))
    fit = f"fit (R² = {r2:.4f}) to {curve.material} relative_density_vs_pressing, {curve.source} [computed]"
    return {
        "heckel_slope": (k, fit),
        "heckel_intercept": (A, fit),
        "critical_state_slope": _entry(extra["critical_state_slope"]),
        "tensile_strength": _entry(extra["tensile_strength"]),
    }


def _entry(prop) -> tuple[float, str]:
    return prop.value, f"{INELASTIC_FILE.name}: {prop.source} [{prop.confidence}]"


def creep_defaults(name: str) -> dict[str, tuple[float, str]] | None:
    """Library creep parameters of a material (name -> (SI value, source)), or None."""
    props = default_library().get(name)
    if "creep_rate_reference" not in props:
        return None
    reference = inelastic_library().get(name)["creep_reference_stress"]
    return {
        "reference_rate": _csv_entry(props["creep_rate_reference"]),
        "reference_stress": _entry(reference),
        "exponent": _csv_entry(props["creep_exponent"]),
        "yield_stress": _csv_entry(props["yield_stress"]),
    }


def _csv_entry(prop) -> tuple[float, str]:
    return prop.value, f"materials.csv: {prop.source} [{prop.confidence}]"
