"""Everything a run steps through, built from a validated Case.

``build_simulation`` resolves materials and the schedule (pure Python, may
still reject the case), builds and distributes the mesh, and sets up fields,
model, supports, sensors and the stepper. It writes nothing.

``state`` registers every Function a restart needs (the displacement, the
predictor increment, the fixture's preload state; physics with history
variables add theirs); ``next_target`` is the position in the schedule.
"""

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from chemomech.case.protocol import initial_lithiation
from chemomech.dolfinx_compat import MPI
from chemomech.geometry.premeshed import case_domain, version_warnings
from chemomech.materials import resolve_materials
from chemomech.materials.fracture import interface_strengths, region_fracture
from chemomech.output.inelastic import HistoryOutputs
from chemomech.output.risk import RiskMeasures, interface_regions
from chemomech.output.stress import StressFields
from chemomech.physics.diffusion import particle_diffusion
from chemomech.physics.electrode_balance import electrode_balance
from chemomech.physics.fixture import InclusionSupport, StackFixture
from chemomech.physics.fracture.damage import DamageProblem
from chemomech.physics.fracture.phase_field import PhaseField
from chemomech.physics.fracture.resolve import describe, phase_field_laws, resolution_warnings
from chemomech.physics.lithiation import Target, build_schedule
from chemomech.physics.material_fields import MaterialFields
from chemomech.physics.mechanics import MechanicsModel, locking_warnings
from chemomech.physics.transport.cell import electrode_field
from chemomech.materials import default_library
from chemomech.sensors import Dilatometer, FibreBraggGrating, LoadCell
from chemomech.sensors.fbg import StrainOptics
from chemomech.solve.state import StateRegistry
from chemomech.solve.stepper import Stepper


@dataclass
class Simulation:
    """The assembled problem of one case."""

    case: object
    materials: dict
    schedule: list[Target]
    initial: Target
    domain: object
    fields: MaterialFields
    model: MechanicsModel
    support: object
    stresses: StressFields
    risk: RiskMeasures
    sensors: tuple | None
    stepper: Stepper
    balance: object | None
    state: StateRegistry
    gratings: tuple[FibreBraggGrating, ...] = ()
    next_target: int = 0  # index in the schedule of the next target to start
    history: HistoryOutputs | None = None  # porosity and creep strain, where a material has them
    coupled: tuple = ()  # fields solved in alternation with the mechanics (chemomech.solve.coupling)
    resumes: list = field(default_factory=list)  # [index, Target as dict]: where the schedule was rebuilt
    phase_field: dict | None = None  # per cracking region: G_c, ℓ, implied strength, ℓ/h (fracture.resolve)

    def run_schedule(self):
        """Yield (state, SolveStats) for every converged step of the rest of the schedule.

        Where a segment ended early (an electrode voltage cut-off) or a
        potentiostatic hold ended, the rest of the schedule is rebuilt from
        the time and mean lithiation reached (see physics.lithiation).
        """
        yield from self._rescheduled(self.stepper.resume())  # a target cut back before a restart
        while self.next_target < len(self.schedule):
            target = self.schedule[self.next_target]
            self.next_target += 1
            yield from self._rescheduled(self.stepper.advance(target))

    def _rescheduled(self, steps):
        """The steps, the schedule rebuilt where one ended a segment early (before it is yielded: checkpoints)."""
        for state, stats in steps:
            if not self.stepper.busy:
                self._reschedule(state)
            yield state, stats

    def _reschedule(self, done: Target) -> None:
        """After a cut-off in ``done``'s segment or the last step of a hold: the rest from the state reached."""
        if self.next_target >= len(self.schedule):
            return
        following = self.schedule[self.next_target]
        cut_off = [f for f in self.coupled if done.segment in getattr(f, "cutoffs", {})]
        hold_ended = done.voltage is not None and following.segment != done.segment
        if not (cut_off or hold_ended):
            return
        if cut_off:
            time, voltage = cut_off[0].cutoffs[done.segment]
            self.stepper.warn(
                f"voltage cut-off: {done.label} ended at t = {time:.6g} s, cell voltage {voltage:.4f} V, "
                f"mean lithiation {self.coupled[0].mean_lithiation():.4f}; the next protocol step starts"
            )
        reached = self.stepper.state  # ``done`` itself, or before it where a cut-off dropped the rest
        self.rebuild_schedule(self.next_target, replace(reached, xi=self.coupled[0].mean_lithiation()))

    def rebuild_schedule(self, index: int, resume: Target) -> None:
        """Replace the targets from ``index`` on by the rest of the protocol after ``resume`` (kept for restarts)."""
        self.resumes.append([index, asdict(resume)])
        self.schedule[index:] = build_schedule(
            self.case.lithiation, preload_steps=0, resume=resume, **_step_limits(self.case)
        )


def _step_limits(case) -> dict:
    """The schedule's step limits; adaptive: one target per protocol step, reached in controlled steps."""
    if case.solver.adaptive is not None:
        return {"max_xi_step": 1.0, "max_time_step": None}
    return {"max_xi_step": case.solver.max_xi_step, "max_time_step": case.solver.max_time_step}


def _preload_steps(case) -> int:
    fixture = case.fixture
    if fixture is None or fixture.preload <= 0.0:
        return 0
    return fixture.preload_steps


def _electrode_balance(case, materials, xi0):
    """The stack's ElectrodeBalance (validated with the case), or None."""
    if case.geometry.type != "stack":
        return None
    return electrode_balance(case.geometry.layers, materials, case.lithiation.active_material, xi0)


def _grating(model, spec) -> FibreBraggGrating:
    fibre = default_library().get(spec.fibre)
    optics = StrainOptics(
        wavelength=spec.wavelength,
        effective_index=fibre["refractive_index"].value,
        p11=fibre["p11"].value,
        p12=fibre["p12"].value,
        temperature_sensitivity=fibre["temperature_sensitivity"].value,
        temperature_change=spec.temperature_change,
    )
    return FibreBraggGrating(
        model, spec.name, spec.position, spec.axis, spec.transverse, spec.grating_length, spec.samples, optics
    )


def _coupled_fields(case, domain, materials, model, fields, xi0) -> tuple:
    """The fields solved in alternation with the mechanics: the lithiation transport, if any."""
    if case.lithiation.model == "electrode":
        return (electrode_field(case.lithiation.electrode, case, domain, materials, fields, xi0),)
    if case.lithiation.model != "diffusion":
        return ()
    molar_volume = default_library().get(case.lithiation.active_material)["molar_volume"].value
    return (particle_diffusion(case.lithiation.diffusion, domain, materials, model, fields, molar_volume, xi0),)


def build_simulation(case, comm=MPI.COMM_WORLD, mesh_dir: Path | None = None) -> Simulation:
    """Set up the problem of ``case`` on ``comm``, on the domain pre-meshed in ``mesh_dir`` if given."""
    materials = resolve_materials(case)
    xi0 = initial_lithiation(case.lithiation)
    fracture_laws = phase_field_laws(case, materials, xi0)
    schedule = build_schedule(case.lithiation, preload_steps=_preload_steps(case), **_step_limits(case))
    domain = case_domain(case, comm, mesh_dir)
    balance = _electrode_balance(case, materials, xi0)
    fields = MaterialFields(domain, materials, xi0, balance)
    degree = case.solver.element_degree
    phase_field = PhaseField(domain, fracture_laws) if fracture_laws else None
    model = MechanicsModel(
        domain,
        fields,
        kinematics=case.mechanics.kinematics,
        degree=degree,
        quadrature_degree=case.solver.quadrature_degree,
        formulation=case.mechanics.formulation,
        phase_field=phase_field,
    )
    if case.geometry.has_plunger:
        support = StackFixture(model, case.fixture)
        sensors = (LoadCell(model), Dilatometer(model))
        support.attach_load_cell(sensors[0])
    else:
        support = InclusionSupport(model)
        sensors = None
    initial = Target(0.0, xi0, "preload", 0.0, 0.0, 0, "initial")
    coupled = _coupled_fields(case, domain, materials, model, fields, xi0)
    fracture_report = None
    if phase_field is not None:
        coupled += (DamageProblem(phase_field, model, linear_solver=case.solver.linear_solver),)
        fracture_report = describe(phase_field, materials, xi0)
    stepper = Stepper(model, fields, support, case.solver, initial, coupled)
    segments = [xi0, *(target.xi for target in schedule)]
    if balance is not None:
        stepper.warnings += balance.check((min(segments), max(segments)), 0)
    stepper.warnings += version_warnings(domain)
    stepper.warnings += locking_warnings(materials, segments, case.mechanics.formulation, degree)
    if fracture_report is not None:
        stepper.warnings += resolution_warnings(fracture_report)
    state = StateRegistry()
    state.add("displacement", model.u)
    state.add("predictor_increment", stepper.increment)
    state.add("predictor_earlier_increment", stepper.earlier_increment)
    if model.pressure is not None:
        state.add("pressure", model.pressure)
    if isinstance(support, StackFixture):
        state.add("preload_displacement", support.u_ref)
    for index, history in enumerate(model.history_functions()):  # quadrature-point inelastic state
        state.add(f"history_{index}_{history.name}", history)
    for coupled_field in coupled:
        for name, function in coupled_field.functions().items():
            state.add(f"{coupled_field.name}_{name}", function)
    stresses = StressFields(model, keep_fields=case.outputs.fields)
    risk = RiskMeasures(
        model, stresses, region_fracture(case), interface_strengths(case, interface_regions(domain))
    )
    return Simulation(
        case=case,
        materials=materials,
        schedule=schedule,
        initial=initial,
        domain=domain,
        fields=fields,
        model=model,
        support=support,
        stresses=stresses,
        risk=risk,
        sensors=sensors,
        stepper=stepper,
        balance=balance,
        gratings=tuple(_grating(model, spec) for spec in case.sensors),
        state=state,
        history=HistoryOutputs(model) if model.inelastic is not None else None,
        coupled=coupled,
        phase_field=fracture_report,
    )
