"""The cycling protocol resolved to lithiation values, checked for direction.

ξ ∈ [0, 1] is the degree of lithiation of the active phase (S + 2Li → Li2S).
A galvanostatic step at C-rate r changes it at dξ/dt = ±r / 3600 s (1C fully
converts the active material in one hour); the discharged capacity per gram of
sulfur is Q = ξ · Q_S with Q_S = 1672 mAh/g. A sulfur cathode starts at ξ = 0,
a Li2S cathode at ξ = 1. Used by the schema (to reject impossible protocols
at validation time) and by the physics (to build the solver schedule).
"""

from dataclasses import dataclass

from chemomech.materials import SULFUR_SPECIFIC_CAPACITY

SECONDS_PER_HOUR = 3600.0


class ProtocolError(ValueError):
    """A protocol step that cannot be carried out (names the field)."""

    def __init__(self, index: int, message: str):
        super().__init__(f"lithiation.protocol[{index}]: {message}")
        self.index = index
        self.message = message


@dataclass(frozen=True)
class Segment:
    """One protocol step in one cycle, resolved to lithiation values."""

    label: str
    cycle: int
    xi_start: float
    xi_end: float
    duration: float  # s
    c_rate: float  # signed: + discharge (lithiation), − charge
    voltage: float | None = None  # held cell voltage (potentiostatic hold), V


def initial_lithiation(lithiation) -> float:
    """ξ₀: 0 for a sulfur cathode, 1 for a Li2S cathode."""
    return 1.0 if lithiation.active_material == "Li2S" else 0.0


def _end_xi(step, default: float) -> float:
    if step.until_xi is not None:
        return step.until_xi
    if step.until_capacity is not None:
        return step.until_capacity / SULFUR_SPECIFIC_CAPACITY
    return default


def protocol_segments(lithiation, *, resume: tuple[int, float] | None = None) -> list[Segment]:
    """Resolve the protocol of every cycle into segments; check directions.

    ``resume = (k, ξ)``: the segments after the k-th (flat index over cycles
    and steps), starting from lithiation ξ, for a step that ended early (a
    voltage cut-off) or a potentiostatic hold (whose end ξ the transport
    decides). A transfer step whose end ξ was passed already is then empty
    instead of an error.
    """
    xi = initial_lithiation(lithiation) if resume is None else resume[1]
    first = 0 if resume is None else resume[0] + 1
    segments = []
    flat = -1
    for cycle in range(1, lithiation.cycles + 1):
        for index, step in enumerate(lithiation.protocol):
            flat += 1
            if flat < first:
                continue
            label = f"cycle {cycle} {step.step}"
            if step.step in ("rest", "hold"):
                voltage = step.voltage if step.step == "hold" else None
                segments.append(Segment(label, cycle, xi, xi, step.duration, 0.0, voltage))
                continue
            sign = 1.0 if step.step == "discharge" else -1.0
            end = _end_xi(step, default=1.0 if sign > 0 else 0.0)
            if end > 1.0 + 1e-12:
                raise ProtocolError(index, f"ends at lithiation {end:.4g} > 1 (capacity above 1672 mAh/g)")
            if sign * (end - xi) < -1e-12:
                if resume is not None:
                    end = xi
                else:
                    direction = "raise" if sign > 0 else "lower"
                    raise ProtocolError(
                        index,
                        f"a {step.step} must {direction} the lithiation, but in cycle {cycle} it would go "
                        f"from {xi:.4g} to {end:.4g}",
                    )
            duration = abs(end - xi) * SECONDS_PER_HOUR / step.rate
            segments.append(Segment(label, cycle, xi, end, duration, sign * step.rate))
            xi = end
    return segments
