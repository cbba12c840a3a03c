"""Material laws for the mechanics: moduli mixing and growth (swelling).

The active phase converts S + 2 Li -> Li2S as the degree of lithiation xi
goes from 0 to 1 (physics.md section 2). With ``f`` the active volume
fraction and ``dV(xi)`` the relative volume change of the active phase,

    Jg(xi) = 1 + f dV(xi),        Fg = g I,   g = Jg^(1/3),

where ``dV = beta xi`` (beta = 0.787 for S -> Li2S) or a piecewise-linear
table (S8 -> Li2S2 -> Li2S is not linear). The moduli mix linearly,
E(xi) = (1 - xi) E0 + xi E1, and likewise nu, when lithiated values exist.

A material may also compact (pressed powder) or creep (Li metal); the laws
are in ``chemomech.materials.inelastic``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Literal, Protocol

import numpy as np
from numpy.typing import ArrayLike

from chemomech.materials.inelastic import CompactionLaw, CreepLaw


class MaterialLaw(Protocol):
    """What the mechanics reads from a region's material, as functions of ξ.

    Implemented by Material (one phase, or a composite with a given active
    fraction) and by chemomech.materials.composite.CompositeMaterial (a
    homogenised composite from its phases).
    """

    name: str
    breathing: Breathing | None
    """Growth with the exchanged charge, for a counter electrode; None otherwise."""

    @property
    def active_fraction(self) -> float:
        """Volume fraction of the lithiating S/Li2S phase (0: the region does not lithiate)."""
        ...

    def moduli(self, xi: ArrayLike) -> tuple:
        """(E, ν) at ξ."""
        ...

    def lame(self, xi: ArrayLike) -> tuple:
        """(μ, λ) at ξ."""
        ...

    def growth_jacobian(self, xi: ArrayLike) -> np.ndarray | float:
        """Jg(ξ) = det Fg of free swelling."""
        ...

    def growth_stretch(self, xi: ArrayLike) -> np.ndarray | float:
        """g(ξ) = Jg(ξ)^(1/3)."""
        ...

    def describe(self) -> dict:
        """The material as JSON-ready data for summary.json."""
        ...


@dataclass(frozen=True)
class SwellingLaw:
    """Relative volume change dV(xi) of the active phase.

    Linear, dV = beta xi, unless ``table = (xi, dV)`` is given (xi strictly
    increasing from 0 to 1), which is interpolated piecewise linearly.
    """

    beta: float = 0.787
    table: tuple[tuple[float, ...], tuple[float, ...]] | None = None

    def volume_change(self, xi: ArrayLike) -> np.ndarray | float:
        """dV(xi) for a number or an array of xi."""
        if self.table is None:
            return np.multiply(self.beta, xi)
        return np.interp(xi, *self.table)


@dataclass(frozen=True)
class Breathing:
    """Growth of a counter electrode with the charge it takes up (physics.md section 5).

    With q the areal charge taken up by the layer since fabrication (C/m²,
    positive while it is lithiated) and h0 its fabricated thickness:

    * ``thickness`` mode (plating Li, In <-> LiIn): all the volume change goes
      into the thickness, Fg = diag(1, 1, 1 + s q / h0), with s the thickness
      change per areal charge (m³/C; 4.85 um per mAh/cm² for Li);
    * ``volume`` mode (intercalation, LTO): isotropic, Jg = 1 + dV_full q / (c h0),
      with dV_full the relative volume change at full utilisation.

    ``volumetric_capacity`` c (C/m³) is the charge the layer holds per volume;
    it gives the electrode balance (N/P ratio) and, in volume mode, the
    utilisation q / (c h0).
    """

    mode: Literal["thickness", "volume"]
    volumetric_capacity: float
    thickness_per_charge: float = 0.0
    volume_change: float = 0.0

    def growth(self, charge: ArrayLike, thickness: float) -> tuple:
        """(g, a): isotropic and extra axial stretch for an areal charge taken up."""
        if self.mode == "thickness":
            return 1.0, 1 + self.thickness_per_charge * np.asarray(charge) / thickness
        utilisation = np.asarray(charge) / (self.volumetric_capacity * thickness)
        return np.cbrt(1 + self.volume_change * utilisation), 1.0


@dataclass(frozen=True)
class Material:
    """An elastic, possibly swelling material, in SI units.

    ``youngs_modulus``/``poisson_ratio`` hold at xi = 0; the ``lithiated_*``
    values, where given, at xi = 1. At most one of ``compaction`` and
    ``creep`` is set. ``sources`` names the origin of each field value (the
    library row, or "case file"; "creep.exponent" for a law's parameter).
    """

    name: str
    youngs_modulus: float
    poisson_ratio: float
    active_fraction: float = 0.0
    swelling: SwellingLaw = SwellingLaw()
    lithiated_youngs_modulus: float | None = None
    lithiated_poisson_ratio: float | None = None
    breathing: Breathing | None = None
    compaction: CompactionLaw | None = None
    creep: CreepLaw | None = None
    sources: Mapping[str, str] = field(default_factory=dict)

    def moduli(self, xi: ArrayLike) -> tuple:
        """(E, nu) at xi: linear in xi towards the lithiated values, if any."""
        return (
            _mix(self.youngs_modulus, self.lithiated_youngs_modulus, xi),
            _mix(self.poisson_ratio, self.lithiated_poisson_ratio, xi),
        )

    def lame(self, xi: ArrayLike) -> tuple:
        """(mu, lambda) at xi: mu = E / (2 (1 + nu)), lambda = E nu / ((1 + nu) (1 - 2 nu))."""
        E, nu = self.moduli(xi)
        return E / (2 * (1 + nu)), E * nu / ((1 + nu) * (1 - 2 * nu))

    def growth_jacobian(self, xi: ArrayLike) -> np.ndarray | float:
        """Jg(xi) = 1 + active_fraction dV(xi) = det Fg."""
        return 1 + self.active_fraction * self.swelling.volume_change(xi)

    def growth_stretch(self, xi: ArrayLike) -> np.ndarray | float:
        """g(xi) = Jg(xi)^(1/3), so that Fg = g I."""
        return np.cbrt(self.growth_jacobian(xi))

    def describe(self) -> dict:
        """Every field as plain JSON-ready data (SI values, swelling law, sources)."""
        return asdict(self)


def _mix(at_0: float, at_1: float | None, xi: ArrayLike):
    """Linear interpolation between the values at xi = 0 and xi = 1 (shaped like xi)."""
    return at_0 + np.multiply((at_0 if at_1 is None else at_1) - at_0, xi)
