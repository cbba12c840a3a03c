"""Uniform lithiation: the cycling protocol as a sequence of solver targets.

Each protocol segment (see chemomech.case.protocol) is cut into equal steps of
at most ``max_xi_step`` in ξ and, where given, at most ``max_time_step`` in
time (rate-dependent materials: creep); the preload ramp comes first and
takes no time. Pure Python.
"""

import math
from dataclasses import dataclass

from chemomech.case.protocol import initial_lithiation, protocol_segments


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


def build_schedule(
    lithiation, *, preload_steps: int, max_xi_step: float, max_time_step: float | None = None
) -> list[Target]:
    """Solver targets: the preload ramp, then each segment in equal steps."""
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
        if max_time_step is not None:
            steps = max(steps, math.ceil(segment.duration / max_time_step - 1e-9))
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
