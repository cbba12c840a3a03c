"""Adaptive time stepping: the step length follows how hard the last step was.

With ``solver.adaptive`` set, the schedule holds one target per protocol
step (see simulation.build_simulation) and the stepper reaches each in
steps of length h ≤ the time left, from ``initial_time_step``. After each
converged step of length h, with n Newton iterations per coupling pass and
Δξ the largest change of the lithiation of any cell over the step
(MaterialFields.xi: uniform, diffusion or electrode lithiation alike),

    f = clip(Δξ_target / Δξ, shrink, growth)       (growth where Δξ = 0)
    f = min(f, 1)       if n > easy_newton_iterations
    f = shrink          if n ≥ hard_newton_iterations
    h ← clip(f h, min_time_step, max_time_step),

so steps grow after easy steps (few Newton iterations and a small
transport change) and shrink on hard ones. A failed step (Newton or the
coupling) is halved by the stepper's cut-back and sets h ← max(shrink h,
min_time_step) for the steps after it. Each protocol step starts again
from at most ``initial_time_step`` (the current jumps there). The preload
takes no time and is not controlled.
"""

from dataclasses import replace

import numpy as np

from chemomech.dolfinx_compat import MPI


def _towards(start, goal, fraction: float):
    """The target ``fraction`` of the way from ``start`` to ``goal`` (time, lithiation, preload)."""
    return replace(
        goal,
        time=start.time + fraction * (goal.time - start.time),
        xi=start.xi + fraction * (goal.xi - start.xi),
        load_fraction=start.load_fraction + fraction * (goal.load_fraction - start.load_fraction),
    )


class StepController:
    """The time-step length h of adaptive stepping and its update after each step."""

    def __init__(self, settings, lithiation):
        self.settings = settings
        self.time_step = settings.initial_time_step
        self._xi = lithiation  # DG0 ξ per cell (MaterialFields.xi)
        self._owned = lithiation.function_space.dofmap.index_map.size_local
        self._committed = lithiation.x.array[: self._owned].copy()
        self._comm = lithiation.function_space.mesh.comm

    def limit(self, state, goal):
        """``goal``, or the target h after ``state`` on the way to it when it is further than h."""
        if goal.label != state.label:  # a new protocol step: its current jumps, its transient is fast
            self.time_step = min(self.time_step, self.settings.initial_time_step)
        remaining = goal.time - state.time
        if goal.stage != "cycling" or remaining <= self.time_step * (1 + 1e-9):
            return goal
        return _towards(state, goal, self.time_step / remaining)

    def lithiation_change(self) -> float:
        """Largest |Δξ| of any cell since the last committed step (MPI-reduced)."""
        change = np.abs(self._xi.x.array[: self._owned] - self._committed)
        return self._comm.allreduce(float(change.max(initial=0.0)), op=MPI.MAX)

    def converged(self, length: float, stats) -> None:
        """Update h after a converged step of ``length`` seconds with ``stats`` (SolveStats)."""
        change = self.lithiation_change()
        self._committed[:] = self._xi.x.array[: self._owned]
        if length <= 0.0:
            return
        s = self.settings
        passes = max(stats.coupling_passes, 1)  # 0 without coupled fields
        newton = stats.newton_iterations / passes
        factor = s.growth if change == 0.0 else float(np.clip(s.target_xi_change / change, s.shrink, s.growth))
        if newton > s.easy_newton_iterations:
            factor = min(factor, 1.0)
        if newton >= s.hard_newton_iterations:
            factor = s.shrink
        self.time_step = float(np.clip(factor * length, s.min_time_step, s.max_time_step))

    def failed(self) -> None:
        """A step failed: shorter steps from now on."""
        self.time_step = max(self.settings.shrink * self.time_step, self.settings.min_time_step)

    def restore_lithiation(self) -> None:
        """Re-read the committed ξ (after a restart)."""
        self._committed[:] = self._xi.x.array[: self._owned]
