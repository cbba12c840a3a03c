"""Progress of the time stepping on rank 0: a bar on a terminal, sparse lines otherwise.

The fraction done is the position of the converged state on the schedule,

    f = (k + r) / N,

with N solver targets, k the targets already passed and r ∈ [0, 1] how far
the state is towards target k + 1 (by preload fraction during the preload,
by time while cycling), so the cut-back midpoints count too. The estimated
time left is the stepping time so far scaled by (1 − f) / f.

On a terminal (``stream.isatty()``) a rich progress bar shows the time
left, step number, time, capacity, Newton iterations and protocol step;
other lines (start, warnings, end) print above it. When the stream is not a
terminal (a batch job, a pipe, ``mpiexec``'s forwarded output) the same
information goes out as plain lines, at most one per ``fraction_every`` of
progress or ``seconds_every`` of wall time, plus the first and the last.
"""

import bisect
import datetime
import sys
import time

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Column


def _key(target) -> tuple[int, float, float]:
    """Ordering of states along a schedule: preload by load fraction, then cycling by time."""
    return (0, 0.0, target.load_fraction) if target.stage == "preload" else (1, target.time, 0.0)


class ScheduleFraction:
    """The fraction f ∈ [0, 1] of a schedule done at a converged state."""

    def __init__(self, schedule, initial):
        self._targets = list(schedule)
        self._keys = [_key(t) for t in self._targets]
        self._initial = initial

    def __call__(self, state) -> float:
        count = len(self._targets)
        if count == 0:
            return 1.0
        k = bisect.bisect_left(self._keys, _key(state))
        if k >= count:
            return 1.0
        goal = self._targets[k]
        previous = self._targets[k - 1] if k > 0 else self._initial
        if goal.stage == "preload":
            span, done = goal.load_fraction - previous.load_fraction, state.load_fraction - previous.load_fraction
        else:
            span, done = goal.time - previous.time, state.time - previous.time
        part = min(max(done / span, 0.0), 1.0) if span > 0 else 1.0
        return (k + part) / count


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-:--:--"
    return str(datetime.timedelta(seconds=round(seconds)))


class ProgressDisplay:
    """Progress of a run on ``stream`` (default: sys.stdout); a no-op when disabled."""

    def __init__(
        self, schedule, initial, *, enabled: bool, stream=None, fraction_every: float = 0.1, seconds_every: float = 60.0
    ):
        self.enabled = enabled
        self._fraction = ScheduleFraction(schedule, initial)
        self._stream = stream if stream is not None else sys.stdout
        self._fraction_every = fraction_every
        self._seconds_every = seconds_every
        self._start = None
        self._last_line = (-1.0, 0.0)  # (fraction, wall time) of the last plain line
        self._bar = None
        if enabled and self._stream.isatty():
            self._bar = Progress(
                BarColumn(bar_width=20, table_column=Column(min_width=20)),
                TaskProgressColumn(table_column=Column(min_width=4)),
                TextColumn("ETA {task.fields[eta]}", table_column=Column(min_width=11)),
                TextColumn(  # the one column that is cut short on a narrow terminal
                    "{task.fields[status]}  {task.description}",
                    table_column=Column(ratio=1, no_wrap=True, overflow="ellipsis"),
                ),
                console=Console(file=self._stream),
            )
            self._task = self._bar.add_task("", total=1.0, status="", eta=_duration(None))
            self._bar.start()

    def message(self, text: str) -> None:
        """A line that is not a step: the start, a warning, the end."""
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=self._stream, flush=True)

    def estimate(self, fraction: float, now: float) -> float | None:
        """Seconds left: the stepping time so far scaled by (1 − f) / f."""
        if self._start is None or fraction <= 0.0:
            return None
        return (now - self._start) * (1.0 - fraction) / fraction

    def step(self, row: dict, state, newton: int) -> None:
        """A converged step: its series row, state and Newton iterations."""
        if not self.enabled:
            return
        now = time.perf_counter()
        if self._start is None:
            self._start = now
        fraction = self._fraction(state)
        eta = _duration(self.estimate(fraction, now))
        status = (
            f"step {row['step [-]']:d}  t = {row['time [h]']:.3f} h  Q = {row['capacity [mAh/g_S]']:.0f} mAh/g_S  "
            f"newton {newton:d}"
        )
        if self._bar is not None:
            self._bar.update(self._task, completed=fraction, description=state.label, status=status, eta=eta)
            return
        last_fraction, last_time = self._last_line
        due = (
            last_fraction < 0.0
            or fraction >= 1.0
            or fraction - last_fraction >= self._fraction_every
            or now - last_time >= self._seconds_every
        )
        if due:
            self._last_line = (fraction, now)
            print(f"[{100 * fraction:5.1f}%] {status}  ETA {eta}  ({state.label})", file=self._stream, flush=True)

    def close(self) -> None:
        """Stop the bar (leaves its last state on the terminal)."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
