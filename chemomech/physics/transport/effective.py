"""Effective conductivity of a conducting phase network in a composite.

    σ_eff = σ ε / T

with ε the phase's volume fraction and T its tortuosity factor (τ² in the
notation of Minnmann et al., J. Electrochem. Soc. 2021, who measure
T = 4.3–130 for the SE network of sulfide composite cathodes). Without a
given T, Bruggeman's relation T = ε^(−1/2) gives σ_eff = σ ε^(3/2).
"""


def tortuosity_factor(fraction: float, given: float | None = None) -> float:
    """T: the given value, else Bruggeman's ε^(−1/2)."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"a conducting phase needs a volume fraction in (0, 1], got {fraction}")
    return given if given is not None else fraction**-0.5


def effective_conductivity(conductivity: float, fraction: float, tortuosity: float | None = None) -> float:
    """σ ε / T of a phase of conductivity σ and volume fraction ε (T given or Bruggeman)."""
    return conductivity * fraction / tortuosity_factor(fraction, tortuosity)
