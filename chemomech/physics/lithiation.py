"""Uniform lithiation: the cycling protocol as a sequence of solver targets.

ξ ∈ [0, 1] is the degree of lithiation of the active phase (S + 2Li → Li2S).
A galvanostatic step at C-rate r changes it at dξ/dt = ±r / 3600 s (1C fully
converts the active material in one hour); the discharged capacity per gram of
sulfur is Q = ξ · Q_S with Q_S = 1672 mAh/g. A sulfur cathode starts at ξ = 0,
a Li2S cathode at ξ = 1. Pure Python: no DOLFINx here.
"""

import math
from dataclasses import dataclass

from chemomech.materials import SULFUR_SPECIFIC_CAPACITY as SULFUR_CAPACITY

SECONDS_PER_HOUR = 3600.0


class ProtocolError(ValueError):
    """A protocol step that cannot be carried out (names the field)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
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


@dataclass(frozen=True)
class Target:
    """A state the solver must reach: time, lithiation and plunger stage."""

    time: float
    xi: float
    stage: str  # "preload" | "cycling"
    load_fraction: float  # preload ramp, 1 once cycling
    c_rate: float
    cycle: int  # 0 during the preload
    label: str


def initial_lithiation(lithiation) -> float:
    """ξ₀: 0 for a sulfur cathode, 1 for a Li2S cathode."""
    return 1.0 if lithiation.active_material == "Li2S" else 0.0


def _end_xi(step, default: float) -> float:
    if step.until_xi is not None:
        return step.until_xi
    if step.until_capacity is not None:
        return step.until_capacity / SULFUR_CAPACITY
    return default


def protocol_segments(lithiation) -> list[Segment]:
    """Resolve the protocol of every cycle into segments; check directions."""
    xi = initial_lithiation(lithiation)
    segments = []
    for cycle in range(1, lithiation.cycles + 1):
        for index, step in enumerate(lithiation.protocol):
            field = f"lithiation.protocol[{index}]"
            label = f"cycle {cycle} {step.step}"
            if step.step == "rest":
                segments.append(Segment(label, cycle, xi, xi, step.duration, 0.0))
                continue
            sign = 1.0 if step.step == "discharge" else -1.0
            end = _end_xi(step, default=1.0 if sign > 0 else 0.0)
            if end > 1.0 + 1e-12:
                raise ProtocolError(field, f"ends at lithiation {end:.4g} > 1 (capacity above 1672 mAh/g)")
            if sign * (end - xi) < -1e-12:
                direction = "raise" if sign > 0 else "lower"
                raise ProtocolError(
                    field,
                    f"a {step.step} must {direction} the lithiation, but in cycle {cycle} it would go "
                    f"from {xi:.4g} to {end:.4g}",
                )
            duration = abs(end - xi) * SECONDS_PER_HOUR / step.rate
            segments.append(Segment(label, cycle, xi, end, duration, sign * step.rate))
            xi = end
    return segments


def build_schedule(lithiation, *, preload_steps: int, max_xi_step: float) -> list[Target]:
    """Solver targets: the preload ramp, then each segment in equal ξ steps."""
    xi = initial_lithiation(lithiation)
    targets = [
        Target(0.0, xi, "preload", (i + 1) / preload_steps, 0.0, 0, "preload")
        for i in range(preload_steps)
    ]
    time = 0.0
    for segment in protocol_segments(lithiation):
        change = abs(segment.xi_end - segment.xi_start)
        if segment.duration <= 0.0:
            continue
        steps = max(1, math.ceil(change / max_xi_step - 1e-9))
        for i in range(1, steps + 1):
            fraction = i / steps
            targets.append(
                Target(
                    time + fraction * segment.duration,
                    segment.xi_start + fraction * (segment.xi_end - segment.xi_start),
                    "cycling",
                    1.0,
                    segment.c_rate,
                    segment.cycle,
                    segment.label,
                )
            )
        time += segment.duration
    return targets
