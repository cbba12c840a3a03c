"""Fields solved in alternation with the mechanics within each step.

A coupled field (lithiation transport, phase-field damage) has its own
unknowns and solver. Within a step towards a target the stepper alternates
(block Gauss–Seidel, "staggered" or "alternate minimisation")::

    repeat k = 1, 2, …:
        solve every field with ``before_mechanics`` (transport: gives ξ)
        solve the mechanics (Newton)
        solve every field without it (damage: driven by the stress)
    until every two-way field changed by less than ``tolerance``
    in pass k ≥ 2,

where ``change`` is the field's own relative change since its previous
solve in the step (e.g. ‖x_k − x_{k−1}‖ / max(‖x_k‖, floor)). With only
one-way fields (they do not read the mechanics state) one pass is exact.
A field that fails to solve, or passes that do not reach the tolerance
within ``max_iterations``, fail the step: the stepper cuts it back.

A two-way field may offer ``accelerate(mixing)``: with
``solver.coupling.acceleration`` the stepper calls it before each further
pass, and the field replaces its last update x = G(x_k) by the mixed
iterate of a chemomech.solve.anderson.AndersonMixing, projected onto its
admissible set (the damage does; the transport does not).

Each field takes part in the stepper's history protocol: ``begin_step``
starts an attempt, ``commit`` keeps a converged step and ``restore``
returns to the last committed one (cut-back, restart).
"""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class CoupledSolve:
    """Outcome of one solve of a coupled field within a pass."""

    converged: bool
    change: float  # relative change of the field since its previous solve in this step
    iterations: int  # nonlinear (or linear) iterations the solve took


class CoupledField(Protocol):
    """What the stepper needs of a field solved in alternation with the mechanics."""

    name: str
    before_mechanics: bool
    """True: solved before the mechanics in each pass (transport gives ξ); False: after (damage)."""
    two_way: bool
    """False when the field does not read the mechanics state: one pass is then exact."""

    def begin_step(self, goal, dt: float) -> None:
        """Start an attempt towards ``goal`` (a physics.lithiation.Target), ``dt`` after the committed state."""
        ...

    def solve(self) -> CoupledSolve:
        """Solve the field for the current mechanics state."""
        ...

    def commit(self) -> None:
        """Keep the state of the converged step."""
        ...

    def restore(self) -> None:
        """Return to the last committed state."""
        ...

    def functions(self) -> dict:
        """Name → dolfinx Function of the state a restart needs."""
        ...

    def columns(self) -> dict[str, float]:
        """Series columns (units in the names) of the current state, MPI-reduced."""
        ...

    def output_functions(self) -> list:
        """Functions (P1 or DG0) written to the field file."""
        ...

    def close(self) -> None:
        """Destroy the field's PETSc solvers now (collective; see chemomech.solve.release)."""
        ...


@dataclass(frozen=True)
class CouplingOutcome:
    """The passes of one step: converged, the number of passes, the largest last change."""

    converged: bool
    passes: int
    change: float
    failed: str | None = None  # the field whose solve failed, if one did


def needs_iteration(fields) -> bool:
    """Whether the passes must be repeated until the changes are small (some field is two-way)."""
    return any(field.two_way for field in fields)
