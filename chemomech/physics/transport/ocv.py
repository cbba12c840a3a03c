"""Equilibrium (open-circuit) potential U(ξ) of the cathode against the anode.

A curve is a table (ξ_k, U_k), ξ strictly increasing, interpolated linearly
and extrapolated with its end slopes, written as a sum of ramps so that one
expression serves NumPy and UFL (``max_value`` = np.maximum or ufl.max_value):

    U(ξ) = U_0 + s_0 (ξ − ξ_0) + Σ_{k=1}^{n−1} (s_k − s_{k−1}) max(ξ − ξ_k, 0),

s_k the slope of segment k. The steep end segments make a voltage cut-off
reachable and keep U defined where a Newton iterate leaves [0, 1].

Default curve (S/Li2S against Li metal): the two-plateau discharge profile
of sulfur, about 2.3 V while S8 is reduced to the polysulfide (ξ < 0.25,
S8 → Li2S4) and about 2.1 V while Li2S4 → Li2S (Manthiram et al., Chem. Rev.
114, 11751 (2014), Fig. 3; liquid-electrolyte profile). Sulfide solid-state
cells often show one sloping plateau near 2.1 V instead, so the default is a
schematic placeholder: give the measured curve of the cell in the case
(``lithiation.electrode.equilibrium_potential``). Against Li-In (LiIn at
0.62 V vs Li/Li⁺: Santhosha et al., Batteries & Supercaps 2, 524 (2019))
the curve is shifted by −0.62 V; against LTO (1.55 V vs Li) by −1.55 V.
"""

from dataclasses import dataclass

import numpy as np

DEFAULT_SULFUR_CURVE = (
    (0.0, 0.01, 0.03, 0.20, 0.25, 0.30, 0.50, 0.80, 0.95, 0.99, 1.0),
    (2.45, 2.38, 2.33, 2.29, 2.20, 2.12, 2.10, 2.08, 2.03, 1.90, 1.80),
)
"""(ξ, U [V vs Li/Li⁺]) of the default S/Li2S curve (see the module docstring)."""

ANODE_POTENTIAL_VS_LI = {"Li_metal": 0.0, "indium": 0.62, "LTO": 1.55}
"""Equilibrium potential of the counter electrode against Li/Li⁺ [V]."""

DEFAULT_CURVE_SOURCE = (
    "S/Li2S two-plateau profile after Manthiram et al. Chem. Rev. 114 11751 (2014) [placeholder]; "
    "LiIn 0.62 V vs Li: Santhosha et al. Batteries & Supercaps 2 524 (2019); LTO 1.55 V vs Li"
)


@dataclass(frozen=True)
class EquilibriumCurve:
    """U(ξ) [V] from a table, linear in between and beyond the ends."""

    xi: tuple[float, ...]
    potential: tuple[float, ...]
    source: str = "case"

    def __post_init__(self):
        xi = np.asarray(self.xi, dtype=float)
        if xi.size < 2 or xi.size != len(self.potential) or np.any(np.diff(xi) <= 0.0):
            raise ValueError("an equilibrium curve needs at least two points with strictly increasing xi")

    @property
    def _slopes(self) -> np.ndarray:
        return np.diff(self.potential) / np.diff(self.xi)

    def __call__(self, xi, max_value=np.maximum):
        """U(ξ); ``max_value`` is np.maximum (NumPy) or ufl.max_value (a UFL expression)."""
        slopes = self._slopes
        value = self.potential[0] + slopes[0] * (xi - self.xi[0])
        for k in range(1, len(slopes)):
            value = value + (slopes[k] - slopes[k - 1]) * max_value(xi - self.xi[k], 0.0)
        return value

    def shifted(self, offset: float, source: str) -> "EquilibriumCurve":
        """The curve against another reference: U + offset."""
        return EquilibriumCurve(self.xi, tuple(u + offset for u in self.potential), source)


def default_curve(anode: str) -> EquilibriumCurve:
    """The default S/Li2S curve against the anode material (Li_metal, indium or LTO)."""
    if anode not in ANODE_POTENTIAL_VS_LI:
        raise ValueError(f"no default equilibrium curve against {anode!r}; known: {sorted(ANODE_POTENTIAL_VS_LI)}")
    base = EquilibriumCurve(*DEFAULT_SULFUR_CURVE, source=DEFAULT_CURVE_SOURCE)
    return base.shifted(-ANODE_POTENTIAL_VS_LI[anode], f"{DEFAULT_CURVE_SOURCE}; against {anode}")
