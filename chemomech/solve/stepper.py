"""Load stepping with extrapolated predictors and automatic cut-back.

The stepper moves the converged state towards each target of the schedule.
A failed Newton solve restores the last converged displacement and inserts
the midpoint (in time, lithiation and preload fraction) as an intermediate
target; after ``max_cutbacks`` successive halvings the run fails cleanly
with a SolverFailure, keeping every output written so far.

Predictor, with λ the preload fraction in the preload stage and ξ while
cycling, h = λ_{n+1} − λ_n and the increments δ₁ = u_n − u_{n−1} over
Δ₁ = λ_n − λ_{n−1} and δ₂ = u_{n−1} − u_{n−2} over Δ₂ (the first cycling step
starts from the preload state, an equilibrium of the held fixture too):

    linear     u ← u_n + (h/Δ₁) δ₁
    quadratic  u ← u_n + (h/Δ₁) δ₁ + h (h + Δ₁)/(Δ₁ + Δ₂) (δ₁/Δ₁ − δ₂/Δ₂)

(Newton's form of the polynomial through the last two or three converged
states). Where both exist the one with the smaller residual norm is taken:
on a smooth load path the quadratic one saves a Newton step (15 → 13 on the
swelling inclusion of benchmarks/), and across a kink (contact, a cut-off)
the linear one keeps Newton from starting further off.

For a restart, ``snapshot`` gives the stepper's state besides the
displacement and the predictor increments (Functions registered for the
checkpoint): the converged target, the targets still pending (a target cut
back into midpoints is finished first), the cut-backs and the warnings.
``warn(text)`` records what a reader of the results should know (cut-backs,
element distortion, a coupling that did not converge): every warning goes
to run.log as it happens, to summary.json and to the report.
History states (``model.step_states``: inelasticity at quadrature points)
start each attempt with ``begin_step(Δt)``, Δt the time to the target (zero
in the preload), are committed when a step converges and restored with the
displacement on a cut-back.

With ``solver.adaptive`` a StepController (chemomech.solve.adaptive) puts
intermediate targets h apart in time before each target and sets h after
every step from its Newton iterations and its largest change of ξ.

A coupled field that ends the protocol step early (``cutoffs``: the
electrode model's voltage cut-off) drops the targets still pending towards
it; the simulation rebuilds the rest of the schedule from the state reached.

Coupled fields (chemomech.solve.coupling: transport, damage) are solved in
alternation with the mechanics within each step, in passes until their
changes fall below ``solver.coupling.tolerance``; they begin, commit and
restore with the step like the history states. A step whose passes do not
converge is cut back like a failed Newton solve. With
``solver.coupling.acceleration: {method: anderson}`` every two-way field
that offers ``accelerate`` (the damage) starts each further pass from an
Anderson-mixed iterate (chemomech.solve.anderson), its history new in
each step.
"""

from dataclasses import asdict, replace

from chemomech.dolfinx_compat import dolfinx
from chemomech.errors import SolverFailure
from chemomech.physics.lithiation import Target
from chemomech.solve.adaptive import StepController
from chemomech.solve.anderson import AndersonMixing
from chemomech.solve.coupling import needs_iteration
from chemomech.solve.newton import NewtonSolver, SolveStats

MAX_CONTACT_SWITCHES = 2


def _midpoint(a: Target, b: Target) -> Target:
    return replace(
        b,
        time=0.5 * (a.time + b.time),
        xi=0.5 * (a.xi + b.xi),
        load_fraction=0.5 * (a.load_fraction + b.load_fraction),
    )


def _added(first: SolveStats, then: SolveStats) -> SolveStats:
    """The statistics of two solves in a row: ``then``'s outcome, the iterations of both."""
    return replace(
        then,
        newton_iterations=first.newton_iterations + then.newton_iterations,
        krylov_iterations=first.krylov_iterations + then.krylov_iterations,
        residual_norms=first.residual_norms + then.residual_norms,
    )


_NOT_SOLVED = SolveStats(converged=False, reason=0, newton_iterations=0, krylov_iterations=0, residual_norms=())


def _solve_fields(fields, changes: list) -> str | None:
    """Solve ``fields`` in order, appending the changes of the two-way ones; the name of one that fails."""
    for field in fields:
        result = field.solve()
        if not result.converged:
            return field.name
        if field.two_way:
            changes.append(result.change)
    return None


def _failure(stats: SolveStats) -> str:
    """What failed: Newton, a coupled field's solve or the coupling passes."""
    if stats.failed_field is None:
        return "Newton"
    if stats.failed_field == "coupling":
        return f"the coupling ({stats.coupling_passes} passes)"
    return f"the {stats.failed_field} solve"


def _reason(stats: SolveStats) -> str:
    if stats.failed_field is None:
        return f"SNES reason {stats.reason}"
    return "tolerance not reached" if stats.failed_field == "coupling" else "its solver did not converge"


def _change(state: Target, goal: Target) -> float:
    """Δλ from ``state`` to ``goal`` in the goal's load parameter (preload fraction, else ξ)."""
    if goal.stage == "preload":
        return goal.load_fraction - state.load_fraction
    return goal.xi - state.xi


def quadratic_extrapolation(u, increments, changes, h: float):
    """u at λ_n + h on the parabola through the last three states (δ₁, δ₂ over Δ₁, Δ₂; see the module).

    u_n + (h/Δ₁) δ₁ + h (h + Δ₁)/(Δ₁ + Δ₂) (δ₁/Δ₁ − δ₂/Δ₂): exact where u is quadratic in λ.
    """
    (first, second), (first_change, second_change) = increments, changes
    slope, earlier_slope = first / first_change, second / second_change
    return u + h * slope + h * (h + first_change) / (first_change + second_change) * (slope - earlier_slope)


def _residual_norm_at(solver: NewtonSolver, u, values) -> float:
    """‖R‖ with u set to ``values`` (u keeps them)."""
    u[:] = values
    return solver.residual_norm()


class Stepper:
    """Drives the mechanics problem through a sequence of targets."""

    def __init__(self, model, fields, support, settings, initial: Target, coupled=()):
        self.model = model
        self.fields = fields
        self.support = support
        self.settings = settings
        self.state = initial
        self.states = model.step_states  # objects with begin_step/commit/restore
        self.coupled = tuple(coupled)  # chemomech.solve.coupling.CoupledField
        adaptive = getattr(settings, "adaptive", None)
        self.controller = StepController(adaptive, fields.xi) if adaptive is not None else None
        self._solvers = {}
        self._converged = self._unknown_arrays()  # u (and p, mixed) of the converged state
        self.increment = dolfinx.fem.Function(model.space, name="predictor_increment")  # δ₁ = u_n − u_{n−1}
        self.earlier_increment = dolfinx.fem.Function(model.space, name="predictor_earlier_increment")  # δ₂
        self._previous_change = None  # Δ₁ of δ₁; None: no predictor (new stage)
        self._earlier_change = None  # Δ₂ of δ₂; None: no quadratic predictor
        self._pending: list[tuple[Target, int]] = []  # (goal, cut-back depth), last is next
        self.cutbacks = 0
        self.warnings: list[str] = []  # what a reader of the results should know
        self._force_scale = model.force_scale(fields.max_youngs_modulus)

    def _mixings(self) -> list:
        """A fresh Anderson mixing for every two-way field that can be accelerated, if the case asks for it."""
        acceleration = self.settings.coupling.acceleration
        if acceleration.method == "none":
            return []
        comm = self.model.domain.mesh.comm
        return [
            (field, AndersonMixing(comm, acceleration.depth))
            for field in self.coupled
            if field.two_way and hasattr(field, "accelerate")
        ]

    def _solver(self, stage: str) -> NewtonSolver:
        if stage not in self._solvers:
            self._solvers[stage] = NewtonSolver(
                self.model.residuals(self.support.residual),
                self.model.unknowns,
                self.support.stage_bcs(stage),
                self.settings,
                prefix=f"chemomech_{stage}_",
                force_scale=self._force_scale,
                hooks=self.states,
            )
        return self._solvers[stage]

    def _apply(self, target: Target) -> None:
        if target.stage == "cycling" and self.state.stage != "cycling":
            self.support.begin_cycling()
            preload = self._solvers.pop("preload", None)
            if preload is not None:
                # Now, on every rank: a PETSc object that Python's garbage collector
                # drops on several ranks waits in PETSc's garbage (its AMG matrix
                # and its MPI communicators) until the end of the process.
                preload.close()
            self._previous_change = self._earlier_change = None
        self.fields.update(target.xi)
        if target.stage == "preload":
            self.support.apply_preload(target.load_fraction)

    def _predict(self, target: Target) -> None:
        if self._previous_change is None:
            return
        h = _change(self.state, target)
        if h == 0.0:
            return
        u = self.model.u.x.array
        linear = u + (h / self._previous_change) * self.increment.x.array
        span = None if self._earlier_change is None else self._previous_change + self._earlier_change
        if span is None or abs(span) <= 1e-12 * (abs(self._previous_change) + abs(self._earlier_change)):
            u[:] = linear  # no third state, or it coincides with u_n (a reversal)
            return
        increments = (self.increment.x.array, self.earlier_increment.x.array)
        quadratic = quadratic_extrapolation(u, increments, (self._previous_change, self._earlier_change), h)
        solver = self._solver(self.support.solver_stage(target.stage))
        quadratic_norm = _residual_norm_at(solver, u, quadratic)
        if _residual_norm_at(solver, u, linear) >= quadratic_norm:
            u[:] = quadratic

    def advance(self, target: Target):
        """Reach ``target``; yield (state, SolveStats) for every converged step."""
        self._pending.append((target, 0))
        yield from self.resume()

    def resume(self):
        """Reach the pending targets; yield (state, SolveStats) for every converged step."""
        pending = self._pending
        while pending:
            goal, depth = pending[-1]
            if self.controller is not None:  # adaptive stepping: at most h towards the goal
                step = self.controller.limit(self.state, goal)
                if step is not goal:
                    pending.append((step, depth))
                    goal = step
            self._apply(goal)
            for state in self.states:
                state.begin_step(goal.time - self.state.time)
            self._predict(goal)  # after begin_step: choosing a predictor evaluates the residual
            for field in self.coupled:
                field.begin_step(goal, goal.time - self.state.time)
            stats = self._solve(goal)
            if stats.converged:
                pending.pop()
                if self.controller is not None:
                    self.controller.converged(goal.time - self.state.time, stats)
                self._commit(goal)
                if any(goal.segment in getattr(field, "cutoffs", {}) for field in self.coupled):
                    pending.clear()  # a voltage cut-off ended the protocol step; the simulation reschedules
                yield goal, stats
                continue
            for unknown, converged in zip(self.model.unknowns, self._converged, strict=True):
                unknown.x.array[:] = converged
            for state in (*self.states, *self.coupled):
                state.restore()
            self.support.revert_contact()
            if depth >= self.settings.max_cutbacks:
                failure = _failure(stats)
                raise SolverFailure(
                    f"{failure[:1].upper()}{failure[1:]} did not converge at t = {goal.time:.6g} s, lithiation {goal.xi:.6g} "
                    f"({goal.label}) after {depth} cut-backs ({_reason(stats)})"
                )
            self.cutbacks += 1
            if self.controller is not None:
                self.controller.failed()
            self.warn(
                f"cut-back: {_failure(stats)} failed towards t = {goal.time:.6g} s, lithiation {goal.xi:.6g} "
                f"({goal.label}, {_reason(stats)}); step halved"
            )
            pending.append((_midpoint(self.state, goal), depth + 1))

    def _solve(self, goal: Target) -> SolveStats:
        """Coupled fields and mechanics towards ``goal`` in passes (chemomech.solve.coupling).

        The statistics add up the mechanics' iterations over the passes;
        ``coupling_passes`` counts the passes and ``failed_field`` names a
        coupled field whose solve failed, or "coupling" when the passes did
        not reach the tolerance.
        """
        if not self.coupled:
            return self._solve_mechanics(goal)
        settings = self.settings.coupling
        iterate = needs_iteration(self.coupled)
        before = [field for field in self.coupled if field.before_mechanics]
        after = [field for field in self.coupled if not field.before_mechanics]
        total = _NOT_SOLVED
        mixings = self._mixings()
        for passes in range(1, settings.max_iterations + 1):
            changes = []
            failed = _solve_fields(before, changes)
            if failed is None:
                stats = self._solve_mechanics(goal)
                total = stats if passes == 1 else _added(total, stats)
                if not stats.converged:
                    return replace(total, coupling_passes=passes)
                failed = _solve_fields(after, changes)
            if failed is not None:
                return replace(total, converged=False, coupling_passes=passes, failed_field=failed)
            if not iterate or (passes > 1 and max(changes) <= settings.tolerance):
                return replace(total, coupling_passes=passes)
            for field, mixing in mixings:  # another pass follows: from an accelerated iterate
                field.accelerate(mixing)
        return replace(total, converged=False, coupling_passes=passes, failed_field="coupling")

    def _solve_mechanics(self, goal: Target) -> SolveStats:
        """Newton towards ``goal``, solved again where the plunger lifts off or touches down.

        At most MAX_CONTACT_SWITCHES re-solves per step (lift-off, then
        touch-down): the step ends in the last contact state solved.
        """
        stats = self._solver(self.support.solver_stage(goal.stage)).solve()
        for _ in range(MAX_CONTACT_SWITCHES):
            if not (stats.converged and self.support.update_contact(goal.stage)):
                return stats
            stats = _added(stats, self._solver(self.support.solver_stage(goal.stage)).solve())
        return stats

    @property
    def busy(self) -> bool:
        """Whether targets are still pending (a step cut back or limited on the way to a target)."""
        return bool(self._pending)

    def close(self) -> None:
        """Destroy every Newton solver and coupled field's solvers (collective, same order on every rank)."""
        for solver in self._solvers.values():
            solver.close()
        self._solvers.clear()
        for field in self.coupled:
            field.close()

    def warn(self, text: str) -> None:
        """Record a warning about the results (call on every rank with the same text)."""
        self.warnings.append(text)

    def _commit(self, goal: Target) -> None:
        u = self.model.u.x.array
        continues = goal.stage == self.state.stage or goal.stage == "cycling"  # the preload state holds
        change = _change(self.state, goal)
        if continues and change != 0.0:
            if self._previous_change is not None:
                self.earlier_increment.x.array[:] = self.increment.x.array
            self._earlier_change = self._previous_change
            self.increment.x.array[:] = u - self._converged[0]
            self._previous_change = change
        else:
            self._previous_change = self._earlier_change = None
        self._converged = self._unknown_arrays()
        for state in (*self.states, *self.coupled):
            state.commit()
        self.support.commit_contact()
        self.state = goal

    def _unknown_arrays(self) -> list:
        """Copies of the arrays of every unknown (u first; the pressure of the mixed formulation)."""
        return [unknown.x.array.copy() for unknown in self.model.unknowns]

    def snapshot(self) -> dict:
        """The stepper's state besides its Functions, as JSON-ready data."""
        return {
            "state": asdict(self.state),
            "pending": [[asdict(goal), depth] for goal, depth in self._pending],
            "previous_change": self._previous_change,
            "earlier_change": self._earlier_change,
            "cutbacks": self.cutbacks,
            "warnings": list(self.warnings),
            "plunger_lifted": self.support.lifted,
            "time_step": None if self.controller is None else self.controller.time_step,
        }

    def restore(self, snapshot: dict) -> None:
        """Continue from ``snapshot``, with u (p, mixed) and the increment already read back."""
        self.state = Target(**snapshot["state"])
        self._pending = [(Target(**goal), depth) for goal, depth in snapshot["pending"]]
        self._previous_change = snapshot["previous_change"]
        self._earlier_change = snapshot.get("earlier_change")
        self.cutbacks = snapshot["cutbacks"]
        self.warnings[:] = snapshot["warnings"]  # the observer holds this list
        self._converged = self._unknown_arrays()
        for state in (*self.states, *self.coupled):  # history read back into the committed Functions
            state.restore()
        self.fields.update(self.state.xi)
        if self.controller is not None:
            self.controller.restore_lithiation()
            self.controller.time_step = snapshot.get("time_step") or self.controller.time_step
        self.support.resume(self.state.stage, snapshot.get("plunger_lifted", False))
