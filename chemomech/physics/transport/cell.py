"""The electrode transport of a stack as a coupled field (lithiation model ``electrode``).

The potentials vary only through the thickness of a laterally uniform
stack, so the transport (chemomech.physics.transport.electrode) is solved on
its own interval mesh x ∈ [0, L_c + L_s] through the cathode and separator
layers (x = 0 on the cathode's current collector), distributed over the
stack's communicator. Each cathode cell K of the stack mesh takes ξ of the
interval cell that holds its axial midpoint (MaterialFields.lithiate_from);
the anode (counter electrode) breathes with the mean ξ, i.e. the charge
actually passed. φ_e and φ_s are written to the field file the same way
(cell-wise, linear between the interval's nodes). The transport does not
read the mechanics (one-way: one pass per step).

Protocol: a discharge or charge step at C-rate r draws the cell current
density I = r Q L_c / 3600 s (Q the cathode's charge per volume for Δξ = 1);
a hold keeps the cell voltage; a rest draws no current. A transport step
whose Newton fails is retried in halves (up to 1/16) before the stepper cuts
the whole step back. Voltage cut-offs:
when a discharge step brings V below ``voltage_min`` (a charge step above
``voltage_max``) the step is split: the current flows for the time Δt' < Δt
at which V reaches the cut-off (regula falsi on Δt', to 1 mV), then none for
the rest of the step, and the segment ends there (``cutoffs``): the
simulation rebuilds the rest of the schedule from the time and mean ξ
reached, so the next protocol step starts at once.

Effective properties (chemomech.physics.transport.effective) come from the
cathode composite's volume fractions at the fabricated state ξ₀: the SE and
carbon phases' conductivities, a = 3 f_a / r, Q = F f_a · 2 / V_m (two Li per
S, V_m the fabricated phase's molar volume).
"""

import numpy as np

from chemomech.dolfinx_compat import dolfinx
from chemomech.materials import default_library
from chemomech.materials.builtin import FARADAY
from chemomech.physics.transport.effective import effective_conductivity
from chemomech.physics.transport.electrode import (
    ElectrodeParameters,
    ElectrodeTransport,
    through_thickness_mesh,
)
from chemomech.physics.transport.kinetics import ButlerVolmer
from chemomech.physics.transport.ocv import EquilibriumCurve, default_curve
from chemomech.solve.coupling import CoupledSolve

SECONDS_PER_HOUR = 3600.0
AREAL_MAH_PER_CM2 = 3.6 / 1e-4  # C/m² in 1 mAh/cm²
CUTOFF_TOLERANCE = 1e-3  # V
CUTOFF_ITERATIONS = 30
MAX_HALVINGS = 4  # of a transport step whose Newton fails, before the stepper cuts the step back
LI_PER_SULFUR = 2


class Profile:
    """Values on the interval mesh read at axial positions (all ranks see the whole profile)."""

    def __init__(self, comm, positions: np.ndarray, values_owned):
        self._comm = comm
        self._values_owned = values_owned  # () -> the owned values, in the order of ``positions``
        gathered = np.concatenate(comm.allgather(positions))
        self._order = np.argsort(gathered, kind="stable")
        self.positions = gathered[self._order]

    def values(self) -> np.ndarray:
        """The profile's values, sorted by position."""
        return np.concatenate(self._comm.allgather(self._values_owned()))[self._order]


class ElectrodeField:
    """Coupled field: the electrode transport driving the cathode's ξ (see the module docstring)."""

    name = "electrode"
    before_mechanics = True
    two_way = False

    def __init__(self, transport, fields, cathode: str, axial_position, *, capacity, cathode_thickness,
                 voltage_min=None, voltage_max=None, xi_initial: float):
        self.transport = transport
        self.fields = fields
        self.cathode_thickness = cathode_thickness
        self.areal_capacity = capacity * cathode_thickness  # C/m² for Δξ = 1
        self.voltage_min, self.voltage_max = voltage_min, voltage_max
        self.xi_initial = xi_initial
        self.cutoffs = {}  # protocol segment a cut-off ended -> (time [s], cell voltage [V]) when reached
        self._cut_in_step = None
        self._goal = None
        self._dt = 0.0
        self._start = transport.committed.x.array.copy()
        self._passed = 0.0  # C/m² passed through the cell (+ discharge), committed
        self._passed_step = 0.0

        mesh = transport.mesh
        tdim = mesh.topology.dim
        owned = mesh.topology.index_map(tdim).size_local
        space, dofs = transport.collapsed(2)
        cells = np.arange(owned, dtype=np.int32)
        midpoints = dolfinx.mesh.compute_midpoints(mesh, tdim, cells)[:, 0]
        cell_dofs = dofs[space.dofmap.list[cells, 0]]
        self._xi_profile = Profile(mesh.comm, midpoints, lambda: transport.state.x.array[cell_dofs])
        p1, _ = transport.collapsed(0)
        owned_nodes = p1.dofmap.index_map.size_local
        nodes = p1.tabulate_dof_coordinates()[:owned_nodes, 0]
        potential_dofs = [transport.collapsed(i)[1][:owned_nodes] for i in (0, 1)]  # φ_s, φ_e
        self._phi_profiles = [
            Profile(mesh.comm, nodes, lambda dofs=dofs: transport.state.x.array[dofs]) for dofs in potential_dofs
        ]

        self._xi_dofs = dofs
        self.committed_xi = dolfinx.fem.Function(space, name="electrode_committed_lithiation")  # checkpoint
        self.committed_xi.x.array[:] = transport.committed.x.array[dofs]

        stack = fields.xi.function_space
        self.stack_xi = dolfinx.fem.Function(stack, name="electrode_lithiation")
        self._cells = fields.region_cells[cathode]
        self._positions = axial_position(self._cells)
        self._in_cathode = self._xi_profile.positions < cathode_thickness
        count = int(self._in_cathode.sum())
        self._holding = np.clip((self._positions / (cathode_thickness / count)).astype(int), 0, count - 1)
        cell_map = stack.mesh.topology.index_map(stack.mesh.topology.dim)
        self._all_positions = axial_position(np.arange(cell_map.size_local + cell_map.num_ghosts, dtype=np.int32))
        self.potentials = [dolfinx.fem.Function(stack, name=n) for n in ("solid_potential", "electrolyte_potential")]
        self._map()
        fields.lithiate_from([cathode], self.stack_xi)

    # --- mapping to the stack --------------------------------------------
    def _map(self) -> None:
        """ξ of each stack cathode cell from the interval cell holding its axial midpoint."""
        cathode = self._xi_profile.values()[self._in_cathode]  # uniform cells from the collector
        self.stack_xi.x.array[self._cells] = cathode[self._holding]
        self.stack_xi.x.scatter_forward()

    def mean_lithiation(self) -> float:
        return self.transport.lithiation_range()[1]

    def _update_fields(self) -> None:
        self._map()
        self.fields.update(self.mean_lithiation())

    # --- coupled field -----------------------------------------------------
    def begin_step(self, goal, dt: float) -> None:
        """Start a step of ``dt`` towards ``goal`` from the committed state."""
        self._goal, self._dt = goal, dt
        self._cut_in_step = None
        self._passed_step = 0.0
        self.transport.restore()
        self._start = self.transport.committed.x.array.copy()

    def _current(self, goal) -> float:
        return goal.c_rate * self.areal_capacity / SECONDS_PER_HOUR

    def _substep(self, dt: float, *, current=None, voltage=None, depth: int = 0) -> bool:
        """Advance the transport by ``dt`` from its committed state and commit it; where Newton
        fails, in two halves (at most MAX_HALVINGS deep) before the step is given up."""
        self.transport.begin_step(dt, current=current, voltage=voltage)
        converged, _ = self.transport.solve()
        if converged:
            self._passed_step += self.transport.cell_current() * dt
            self.transport.commit()
            return True
        self.transport.restore()
        if depth >= MAX_HALVINGS:
            return False
        halves = {"current": current, "voltage": voltage, "depth": depth + 1}
        return self._substep(0.5 * dt, **halves) and self._substep(0.5 * dt, **halves)

    def _crossed(self, current: float) -> float | None:
        """The cut-off the voltage has passed at this current, or None."""
        voltage = self.transport.cell_voltage()
        if current > 0 and self.voltage_min is not None and voltage < self.voltage_min:
            return self.voltage_min
        if current < 0 and self.voltage_max is not None and voltage > self.voltage_max:
            return self.voltage_max
        return None

    def _to_cutoff(self, current: float, cutoff: float) -> bool:
        """From the step's start, the current until V = cutoff (regula falsi on Δt'), then none."""
        low, high = 0.0, self._dt  # V − cutoff has the sign of the start at low, the opposite at high
        v_high = self.transport.cell_voltage() - cutoff
        v_low = self._voltage_at_start() - cutoff
        for _ in range(CUTOFF_ITERATIONS):
            trial = high - v_high * (high - low) / (v_high - v_low)
            trial = min(max(trial, low + 1e-6 * self._dt), high - 1e-6 * self._dt)
            self._reset()
            if not self._substep(trial, current=current):
                return False
            value = self.transport.cell_voltage() - cutoff
            if abs(value) < CUTOFF_TOLERANCE:
                break
            if np.sign(value) == np.sign(v_low):
                low, v_low = trial, value
                v_high *= 0.5  # Illinois: keep the far end from sticking
            else:
                high, v_high = trial, value
                v_low *= 0.5
        self._cut_in_step = (self._goal.segment, self._goal.time - self._dt + trial, self.transport.cell_voltage())
        return self._substep(self._dt - trial, current=0.0)

    def _voltage_at_start(self) -> float:
        self.transport.state.x.array[:] = self._start
        return self.transport.cell_voltage()

    def _reset(self) -> None:
        self.transport.state.x.array[:] = self._start
        self.transport.committed.x.array[:] = self._start
        self._passed_step = 0.0

    def solve(self) -> CoupledSolve:
        """One step of the transport (split at a cut-off), then ξ to the stack."""
        goal = self._goal
        if self._dt <= 0.0:
            return CoupledSolve(converged=True, change=0.0, iterations=0)
        self._reset()
        if goal.voltage is not None:
            converged = self._substep(self._dt, voltage=goal.voltage)
        elif goal.segment in self.cutoffs:  # a step left of a segment a cut-off ended: open circuit
            converged = self._substep(self._dt, current=0.0)
        else:
            current = self._current(goal)
            converged = self._substep(self._dt, current=current)
            cutoff = self._crossed(current) if converged else None
            if cutoff is not None:
                converged = self._to_cutoff(current, cutoff)
        if not converged:
            self._reset()
            return CoupledSolve(converged=False, change=np.inf, iterations=1)
        self._update_fields()
        return CoupledSolve(converged=True, change=0.0, iterations=1)

    def commit(self) -> None:
        """Keep the step (the transport committed its sub-steps); note a cut-off."""
        self._start = self.transport.committed.x.array.copy()
        self.committed_xi.x.array[:] = self._start[self._xi_dofs]
        self._passed += self._passed_step
        self._passed_step = 0.0
        if self._cut_in_step is not None:
            segment, time, voltage = self._cut_in_step
            self.cutoffs[segment] = (time, voltage)

    def restore(self) -> None:
        """Back to the last committed step (after a restart: ξ as read back; φ_s, φ_e are only
        Newton's first guess, and the charge passed is the stored charge, equal by conservation)."""
        self._start[self._xi_dofs] = self.committed_xi.x.array
        self._reset()
        self._passed = self.transport.stored_charge(self.xi_initial)
        self._update_fields()

    def functions(self) -> dict:
        """What a checkpoint stores: the committed ξ of the interval cells."""
        return {"lithiation": self.committed_xi}

    def close(self) -> None:
        """Destroy the transport's solvers now (collective)."""
        self.transport.close()

    def output_functions(self) -> list:
        for function, profile in zip(self.potentials, self._phi_profiles, strict=True):
            values = np.interp(self._all_positions, profile.positions, profile.values(), left=np.nan, right=np.nan)
            function.x.array[:] = np.nan_to_num(values, nan=0.0)
        return [self.stack_xi, *self.potentials]

    def columns(self) -> dict:
        t = self.transport
        low, mean, high = t.lithiation_range()
        return {
            "cell_voltage [V]": t.cell_voltage(),
            "cell_current_density [A/m2]": t.cell_current(),
            "equilibrium_potential [V]": float(t.parameters.equilibrium(mean)),
            "cathode_overpotential [V]": t.mean_cathode_overpotential(),
            "anode_overpotential [V]": t.anode_overpotential_value(),
            "xi_min [-]": low,
            "xi_mean [-]": mean,
            "xi_max [-]": high,
            "stored_charge [mAh/cm2]": t.stored_charge(self.xi_initial) / AREAL_MAH_PER_CM2,
            "charge_passed [mAh/cm2]": self._passed / AREAL_MAH_PER_CM2,
        }


def _axial_positions(domain, cathode: str, separator: str):
    """(cathode thickness, separator thickness, cells -> x from the cathode's collector)."""
    (c0, c1), (s0, s1) = domain.layer_bounds[cathode], domain.layer_bounds[separator]
    mesh = domain.mesh
    axis = mesh.geometry.dim - 1
    below = abs(c1 - s0) <= 1e-9 * domain.height

    def positions(cells):
        z = dolfinx.mesh.compute_midpoints(mesh, mesh.topology.dim, cells)[:, axis]
        return z - c0 if below else c1 - z

    return c1 - c0, s1 - s0, positions


def electrode_field(spec, case, domain, materials: dict, fields, xi_initial: float) -> ElectrodeField:
    """The ElectrodeField of a case's ``lithiation.electrode`` block ``spec`` (validated by the schema)."""
    layers = {layer.name: layer for layer in case.geometry.layers}
    names = [layer.name for layer in case.geometry.layers]
    anode = case.geometry.layers[2 * names.index(spec.separator) - names.index(spec.cathode)].material
    material = materials[spec.cathode]  # by region
    library = default_library()
    composition = case.materials[layers[spec.cathode].material].composition
    fractions = material.volume_fractions(xi_initial)
    electrolyte = composition.phases[spec.electrolyte_phase].material
    kappa = spec.electrolyte_conductivity
    if kappa is None:
        kappa = library.get(electrolyte)["ionic_conductivity"].value
    active = material.active_fraction
    molar_volume = library.get(case.lithiation.active_material)["molar_volume"].value
    capacity = FARADAY * active * LI_PER_SULFUR / molar_volume
    kinetics = {"anodic_transfer": spec.transfer_coefficient, "cathodic_transfer": 1 - spec.transfer_coefficient,
                "temperature": spec.temperature}
    curve = (
        EquilibriumCurve(tuple(spec.equilibrium_potential.xi), tuple(spec.equilibrium_potential.voltage), "case")
        if spec.equilibrium_potential is not None
        else default_curve(anode)
    )
    parameters = ElectrodeParameters(
        cathode_ionic_conductivity=effective_conductivity(kappa, fractions[spec.electrolyte_phase], spec.cathode_tortuosity),
        separator_ionic_conductivity=effective_conductivity(kappa, spec.separator_electrolyte_fraction,
                                                            spec.separator_tortuosity),
        electronic_conductivity=effective_conductivity(spec.electronic_conductivity, fractions[spec.carbon_phase],
                                                       spec.carbon_tortuosity),
        specific_area=3 * active / spec.particle_radius,
        capacity_density=capacity,
        cathode_kinetics=ButlerVolmer(spec.exchange_current, **kinetics),
        anode_kinetics=ButlerVolmer(spec.anode_exchange_current, **kinetics),
        equilibrium=curve,
    )
    cathode_thickness, separator_thickness, positions = _axial_positions(domain, spec.cathode, spec.separator)
    mesh, cell_tags, facet_tags = through_thickness_mesh(
        domain.mesh.comm, cathode_thickness, separator_thickness, spec.cathode_cells, spec.separator_cells
    )
    one_c = capacity * cathode_thickness / SECONDS_PER_HOUR
    transport = ElectrodeTransport(mesh, cell_tags, facet_tags, parameters, xi_initial, prefix="electrode_",
                                   current_scale=one_c)
    guess = float(curve(xi_initial))
    transport.set_uniform(xi_initial, guess, 0.0)
    transport.commit()
    return ElectrodeField(
        transport, fields, spec.cathode, positions, capacity=capacity, cathode_thickness=cathode_thickness,
        voltage_min=spec.voltage_min, voltage_max=spec.voltage_max, xi_initial=xi_initial,
    )

