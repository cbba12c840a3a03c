"""Butler–Volmer kinetics of an electrode reaction.

    i(η) = i₀ [exp(α_a f η) − exp(−α_c f η)],   f = F / (R T)

i is the anodic (oxidation) current per unit active surface, positive when
the electrode is delithiated; η = φ_s − φ_e − U the overpotential. The same
expression serves UFL forms (``exp=ufl.exp``) and NumPy. ``overpotential``
inverts it: for α_a = α_c = α in closed form, η = asinh(i / (2 i₀)) / (α f);
otherwise by bracketed root finding.
"""

from dataclasses import dataclass

import numpy as np

from chemomech.materials.builtin import FARADAY

GAS_CONSTANT = 8.314462618
"""Molar gas constant, J/(mol K) (exact in the 2019 SI)."""


def thermal_factor(temperature: float) -> float:
    """f = F / (R T), 1/V."""
    return FARADAY / (GAS_CONSTANT * temperature)


@dataclass(frozen=True)
class ButlerVolmer:
    """i₀ [A/m²], transfer coefficients α_a, α_c and the temperature [K]."""

    exchange_current: float
    anodic_transfer: float = 0.5
    cathodic_transfer: float = 0.5
    temperature: float = 298.15

    def current(self, overpotential, exp=np.exp):
        """Anodic current density i(η) [A/m²]; ``exp`` is np.exp or ufl.exp."""
        f = thermal_factor(self.temperature)
        return self.exchange_current * (
            exp(self.anodic_transfer * f * overpotential) - exp(-self.cathodic_transfer * f * overpotential)
        )

    def overpotential(self, current: float) -> float:
        """η [V] at which the electrode carries the anodic current density ``current``."""
        f = thermal_factor(self.temperature)
        if self.anodic_transfer == self.cathodic_transfer:
            return float(np.arcsinh(current / (2.0 * self.exchange_current)) / (self.anodic_transfer * f))
        bound = 1.0
        while self.current(bound) < abs(current) or -self.current(-bound) < abs(current):
            bound *= 2.0
        from scipy.optimize import brentq  # not imported with every run (0.3 s)

        return brentq(lambda eta: self.current(eta) - current, -bound, bound, xtol=1e-15, rtol=1e-14)
