"""Placeholder until the lead's generic stagger loop lands on main (replaced by that module on merge)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CoupledSolve:
    """Outcome of one solve of a coupled field."""

    converged: bool
    change: float
    iterations: int
