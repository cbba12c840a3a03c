"""Everything a run steps through, built from a validated Case.

``build_simulation`` resolves materials and the schedule (pure Python, may
still reject the case), builds and distributes the mesh, and sets up fields,
model, supports, sensors and the stepper. It writes nothing.

``state`` registers every Function a restart needs (the displacement, the
predictor increment, the fixture's preload state; physics with history
variables add theirs); ``next_target`` is the position in the schedule.
"""

from dataclasses import dataclass
from pathlib import Path

from chemomech.case.protocol import initial_lithiation
from chemomech.dolfinx_compat import MPI
from chemomech.geometry import build_domain
from chemomech.materials import resolve_materials
from chemomech.materials.fracture import interface_strengths, region_fracture
from chemomech.output.inelastic import HistoryOutputs
from chemomech.output.risk import RiskMeasures, interface_regions
from chemomech.output.stress import StressFields
from chemomech.physics.electrode_balance import electrode_balance
from chemomech.physics.fixture import InclusionSupport, StackFixture
from chemomech.physics.fracture.damage import DamageProblem
from chemomech.physics.fracture.phase_field import PhaseField
from chemomech.physics.fracture.resolve import describe, phase_field_laws, resolution_warnings
from chemomech.physics.lithiation import Target, build_schedule
from chemomech.physics.material_fields import MaterialFields
from chemomech.physics.mechanics import MechanicsModel, locking_warnings
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
    phase_field: dict | None = None  # per cracking region: G_c, ℓ, implied strength, ℓ/h (fracture.resolve)

    def run_schedule(self):
        """Yield (state, SolveStats) for every converged step of the rest of the schedule."""
        yield from self.stepper.resume()  # a target cut back before a restart
        while self.next_target < len(self.schedule):
            target = self.schedule[self.next_target]
            self.next_target += 1
            yield from self.stepper.advance(target)


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


def build_simulation(case, comm=MPI.COMM_WORLD) -> Simulation:
    """Set up the problem of ``case`` on ``comm``."""
    materials = resolve_materials(case)
    xi0 = initial_lithiation(case.lithiation)
    fracture_laws = phase_field_laws(case, materials, xi0)
    schedule = build_schedule(
        case.lithiation,
        preload_steps=_preload_steps(case),
        max_xi_step=case.solver.max_xi_step,
        max_time_step=case.solver.max_time_step,
    )
    mesh_file = Path("meshes") / f"{case.name}.msh" if case.geometry.save_mesh else None
    domain = build_domain(case.geometry, comm, mesh_file=mesh_file)
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
    coupled = ()
    fracture_report = None
    if phase_field is not None:
        coupled = (DamageProblem(phase_field, model, linear_solver=case.solver.linear_solver),)
        fracture_report = describe(phase_field, materials, xi0)
    stepper = Stepper(model, fields, support, case.solver, initial, coupled)
    segments = [xi0, *(target.xi for target in schedule)]
    if balance is not None:
        stepper.warnings += balance.check((min(segments), max(segments)), 0)
    stepper.warnings += locking_warnings(materials, segments, case.mechanics.formulation, degree)
    if fracture_report is not None:
        stepper.warnings += resolution_warnings(fracture_report)
    state = StateRegistry()
    state.add("displacement", model.u)
    state.add("predictor_increment", stepper.increment)
    if model.pressure is not None:
        state.add("pressure", model.pressure)
    if isinstance(support, StackFixture):
        state.add("preload_displacement", support.u_ref)
    for index, history in enumerate(model.history_functions()):  # quadrature-point inelastic state
        state.add(f"history_{index}_{history.name}", history)
    for field in coupled:
        for name, function in field.functions().items():
            state.add(f"{field.name}_{name}", function)
    stresses = StressFields(model)
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
