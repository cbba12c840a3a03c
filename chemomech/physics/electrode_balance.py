"""Electrode balance of a stack and the counter electrode's breathing (physics.md section 5).

The cathode layers hold the areal capacity

    Q_c = Σ_cathode h_i f_i c_a     (C/m²),

with h_i the layer thickness, f_i its active volume fraction and c_a the
volumetric capacity of the fabricated active phase (ρ_S·1672 mAh/g for
sulfur, ρ_Li2S·1166 mAh/g for Li2S: the same charge per S atom). Taking the
cathode from ξ₀ to ξ moves the charge (ξ − ξ₀)·Q_c out of the counter
electrode, whose uptake is therefore

    q(ξ) = −(ξ − ξ₀) Q_c,

and whose growth follows from q by its Breathing law (a Li-metal anode thins
by 4.85 um per mAh/cm² on discharge). The N/P ratio is the counter
electrode's capacity h c over Q_c. Counter electrodes are the layers whose
material breathes and has no active phase; a stack has at most one.
"""

from __future__ import annotations

from dataclasses import dataclass

from chemomech.materials import default_library
from chemomech.materials.material import Breathing, Material

MAH_PER_CM2 = 3.6e4  # C/m² in one mAh/cm² (3.6 C per 1e-4 m²)
MICROMETRE = 1.0e-6
MIN_REMAINING_THICKNESS = 0.05
"""A thickness-mode counter electrode may not thin below this fraction of h0."""


def active_volumetric_capacity(active_material: str) -> float:
    """c_a in C/m³: density times specific capacity of the fabricated active phase."""
    props = default_library().get(active_material)
    return props["density"].value * props["capacity"].value


class BalanceError(ValueError):
    """An electrode balance the protocol cannot run; ``layer`` is the layer index."""

    def __init__(self, layer: int, field: str, message: str):
        super().__init__(message)
        self.layer = layer
        self.field = field


@dataclass(frozen=True)
class ElectrodeBalance:
    """Cathode capacity, the counter electrode and its growth with ξ."""

    cathode_capacity: float  # C/m²
    xi_initial: float
    counter: str | None  # layer (region) name
    counter_thickness: float = 0.0  # m
    breathing: Breathing | None = None

    @property
    def counter_capacity(self) -> float:
        """h c of the counter electrode, C/m² (0 without one)."""
        return self.counter_thickness * self.breathing.volumetric_capacity if self.breathing else 0.0

    def uptake(self, xi: float) -> float:
        """Areal charge q the counter electrode has taken up at ξ, C/m²."""
        return -(xi - self.xi_initial) * self.cathode_capacity

    def counter_growth(self, xi: float) -> tuple[float, float]:
        """(g, a) of the counter electrode at ξ: isotropic and extra axial stretch."""
        return self.breathing.growth(self.uptake(xi), self.counter_thickness)

    def free_thickness_change(self, xi: float) -> float:
        """Counter-electrode thickness change at ξ if it were free to grow, m."""
        g, a = self.counter_growth(xi)
        return (g * a - 1.0) * self.counter_thickness

    def check(self, xi_range: tuple[float, float], layer_index: int) -> list[str]:
        """Raise BalanceError if the protocol strips the counter electrode away; return warnings."""
        if self.breathing is None:
            return []
        warnings = []
        lowest = min(self.uptake(xi) for xi in xi_range)
        if self.breathing.mode == "thickness":
            remaining = 1 + self.breathing.thickness_per_charge * lowest / self.counter_thickness
            if remaining < MIN_REMAINING_THICKNESS:
                raise BalanceError(
                    layer_index,
                    "thickness",
                    f"the counter electrode {self.counter!r} ({self.counter_thickness / MICROMETRE:.4g} um) "
                    f"would be stripped to {max(remaining, 0.0):.1%} of its thickness: the protocol draws "
                    f"{-lowest / MAH_PER_CM2:.4g} mAh/cm2 (cathode {self.cathode_capacity / MAH_PER_CM2:.4g} mAh/cm2); "
                    "make it thicker or the cathode thinner",
                )
        else:
            swing = (max(self.uptake(xi) for xi in xi_range) - lowest) / self.counter_capacity
            if swing > 1.0:
                warnings.append(
                    f"the protocol cycles {swing:.2f} times the capacity of the counter electrode "
                    f"{self.counter!r}; its breathing is extrapolated beyond full utilisation"
                )
        if self.counter_capacity < self.cathode_capacity:
            warnings.append(
                f"N/P ratio {self.counter_capacity / self.cathode_capacity:.3g} < 1: the counter electrode "
                f"{self.counter!r} holds less charge than the cathode"
            )
        return warnings

    def describe(self) -> dict:
        """The balance for summary.json (units in the keys)."""
        description = {
            "cathode_areal_capacity [mAh/cm2]": self.cathode_capacity / MAH_PER_CM2,
            "counter_electrode": self.counter,
        }
        if self.breathing is not None:
            description |= {
                "counter_electrode_areal_capacity [mAh/cm2]": self.counter_capacity / MAH_PER_CM2,
                "n_to_p_ratio [-]": self.counter_capacity / self.cathode_capacity
                if self.cathode_capacity > 0
                else None,
                "counter_electrode_breathing": self.breathing.mode,
                "counter_free_thickness_change_at_full_discharge [um]": self.free_thickness_change(1.0)
                / MICROMETRE,
            }
        return description


def electrode_balance(layers, materials: dict[str, Material], active_material: str, xi_initial: float):
    """The ElectrodeBalance of stack ``layers`` (objects with name, thickness), or None.

    None when no layer has an active phase. Raises BalanceError when more
    than one layer could be the counter electrode.
    """
    capacity = active_volumetric_capacity(active_material)
    cathode = sum(layer.thickness * materials[layer.name].active_fraction * capacity for layer in layers)
    if cathode == 0.0:
        return None
    counters = [
        (i, layer)
        for i, layer in enumerate(layers)
        if materials[layer.name].breathing is not None and materials[layer.name].active_fraction == 0.0
    ]
    if len(counters) > 1:
        names = ", ".join(repr(layer.name) for _, layer in counters)
        raise BalanceError(
            counters[1][0],
            "material",
            f"layers {names} could all be the counter electrode; set 'breathing: none' on the "
            "materials of all but one",
        )
    if not counters:
        return ElectrodeBalance(cathode, xi_initial, None)
    _, layer = counters[0]
    return ElectrodeBalance(cathode, xi_initial, layer.name, layer.thickness, materials[layer.name].breathing)
