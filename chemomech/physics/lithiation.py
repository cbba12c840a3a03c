"""Uniform lithiation: the cycling protocol as a sequence of solver targets.

Each protocol segment (see chemomech.case.protocol) is cut into equal steps of
at most ``max_xi_step`` in ξ and, where given, at most ``max_time_step`` in
time (rate-dependent materials: creep); a potentiostatic hold into
HOLD_STEPS steps without ``max_time_step``. The preload ramp comes first and
takes no time. A segment that ends early (the electrode model's voltage
cut-off) or a hold (whose end ξ the transport decides) has the rest of the
schedule rebuilt from the state reached (``resume``). Pure Python.
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
    segment: int = -1  # flat index of the protocol segment (cycles × steps); −1 in the preload
    voltage: float | None = None  # held cell voltage of a potentiostatic hold, V


HOLD_STEPS = 10
"""Steps of a potentiostatic hold without ``max_time_step``."""


def build_schedule(
    lithiation,
    *,
    preload_steps: int,
    max_xi_step: float,
    max_time_step: float | None = None,
    resume: Target | None = None,
) -> list[Target]:
    """Solver targets: the preload ramp, then each segment in equal steps.

    ``resume``: only the targets of the segments after ``resume.segment``,
    starting at its time and lithiation (see protocol_segments).
    """
    if resume is None:
        xi = initial_lithiation(lithiation)
        targets = [
            Target(0.0, xi, "preload", (i + 1) / preload_steps, 0.0, 0, "preload")
            for i in range(preload_steps)
        ]
        time, first, segments = 0.0, 0, protocol_segments(lithiation)
    else:
        targets, time, first = [], resume.time, resume.segment + 1
        segments = protocol_segments(lithiation, resume=(resume.segment, resume.xi))
    for index, segment in enumerate(segments, start=first):
        change = abs(segment.xi_end - segment.xi_start)
        if segment.duration <= 0.0:
            continue
        steps = max(1, math.ceil(change / max_xi_step - 1e-9))
        if segment.voltage is not None and max_time_step is None:
            steps = HOLD_STEPS
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
                    index,
                    segment.voltage,
                )
            )
        time += segment.duration
    return targets
