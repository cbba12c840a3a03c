"""Li⁺ and electron potentials through a composite cathode and its separator.

Unknowns: φ_s (electrons in the carbon network, P1), φ_e (Li⁺ in the SE
network, P1) and the lithiation ξ of the active phase (DG0, one value per
cell), solved together by Newton (SNES, direct LU) at each backward-Euler
step. The domain is a mesh tagged CATHODE and SEPARATOR (cells) and
COLLECTOR (the cathode's current collector) and ANODE (the separator's face
on the anode) (facets). Currents are anodic-positive; the cell current
density I [A/m²] is positive on discharge (the cathode is lithiated):

    cathode:    −∇·(σ ∇φ_s) = −a i_n,    −∇·(κ_c ∇φ_e) = a i_n,
                Q (ξ − ξ_n) / Δt = −a i_n,
    separator:  −∇·(κ_s ∇φ_e) = 0,
    i_n = i_BV(φ_s − φ_e − U(ξ))                 (cathode Butler–Volmer),
    collector:  σ ∂φ_s/∂n = −I  (galvanostatic)   or   φ_s = V (potentiostatic),
    anode:      κ_s ∂φ_e/∂n = i_BV,a(0 − φ_e)    (anode kinetics),

every other boundary insulated. The anode is the reference electrode: its
metal is at φ = 0 and U is measured against it, so the cell voltage is
V = φ_s on the collector, and V = U(ξ) + η_c − η_a with η_c = φ_s − φ_e − U
and η_a = −φ_e on the anode face. a is the active surface per electrode
volume and Q the charge per electrode volume that takes ξ from 0 to 1.

φ_s is carried into the separator as its harmonic extension (∇·(σ∇φ_s) = 0
there, insulated at the anode): it is constant there, draws no current and
leaves the cathode's solution unchanged. ξ stays fixed in the separator.

Charge conservation: testing the φ_s equation with 1 gives ∫ a i_n = −I, and
the ξ equation then gives ∫ Q (ξ − ξ_n) = I Δt (the stored charge grows by the
charge passed) to the tolerance of Newton's method.

``sources`` adds manufactured volume and boundary sources (verification).
"""

from dataclasses import dataclass

import basix.ufl
import numpy as np
import ufl

from chemomech.dolfinx_compat import MPI, PETSc, dolfinx
from chemomech.physics.transport.kinetics import ButlerVolmer
from chemomech.physics.transport.ocv import EquilibriumCurve
from chemomech.solve.newton import forget_options
from chemomech.solve.release import destroy_problem

CATHODE, SEPARATOR = 1, 2
"""Cell tags."""
COLLECTOR, ANODE = 1, 2
"""Facet tags."""


@dataclass(frozen=True)
class ElectrodeParameters:
    """Effective transport, kinetics and storage of the cathode and separator (SI)."""

    cathode_ionic_conductivity: float  # κ_c [S/m], effective
    separator_ionic_conductivity: float  # κ_s [S/m], effective
    electronic_conductivity: float  # σ [S/m], effective, cathode
    specific_area: float  # a [1/m]
    capacity_density: float  # Q [C/m³] for Δξ = 1
    cathode_kinetics: ButlerVolmer
    anode_kinetics: ButlerVolmer
    equilibrium: EquilibriumCurve

    def uniform_voltage(self, xi: float, current: float, cathode_thickness: float) -> float:
        """V = U(ξ) + η_c − η_a with infinitely fast transport (uniform reaction)."""
        reaction = -current / (self.specific_area * cathode_thickness)
        return (
            float(self.equilibrium(xi))
            + self.cathode_kinetics.overpotential(reaction)
            - self.anode_kinetics.overpotential(current)
        )


@dataclass(frozen=True)
class Sources:
    """Manufactured sources (UFL expressions; None: zero) added to the residual."""

    solid: object = None  # f in −∇·(σ∇φ_s) = −a i_n + f
    electrolyte: object = None  # f in −∇·(κ∇φ_e) = a i_n + f
    storage: object = None  # f in Q (ξ − ξ_n)/Δt = −a i_n + f (cathode)
    collector: object = None  # g in σ ∂φ_s/∂n = −I + g
    anode: object = None  # g in κ ∂φ_e/∂n = i_BV,a + g


def through_thickness_mesh(
    comm, cathode_thickness: float, separator_thickness: float, cathode_cells: int, separator_cells: int
):
    """Interval mesh x ∈ [0, L_c + L_s] (collector at 0), uniform in each layer; cell and facet tags."""
    total = cathode_cells + separator_cells
    mesh = dolfinx.mesh.create_interval(comm, total, [0.0, 1.0])
    t = mesh.geometry.x[:, 0].copy()
    split = cathode_cells / total
    mesh.geometry.x[:, 0] = np.where(
        t <= split,
        t / split * cathode_thickness,
        cathode_thickness + (t - split) / (1.0 - split) * separator_thickness,
    )
    length = cathode_thickness + separator_thickness
    tol = 1e-9 * length
    tdim = mesh.topology.dim
    cells_map = mesh.topology.index_map(tdim)
    cells = np.arange(cells_map.size_local + cells_map.num_ghosts, dtype=np.int32)
    midpoints = dolfinx.mesh.compute_midpoints(mesh, tdim, cells)[:, 0]
    cell_tags = dolfinx.mesh.meshtags(
        mesh, tdim, cells, np.where(midpoints < cathode_thickness, CATHODE, SEPARATOR).astype(np.int32)
    )
    mesh.topology.create_connectivity(tdim - 1, tdim)
    collector = dolfinx.mesh.locate_entities_boundary(mesh, tdim - 1, lambda x: np.abs(x[0]) < tol)
    anode = dolfinx.mesh.locate_entities_boundary(mesh, tdim - 1, lambda x: np.abs(x[0] - length) < tol)
    facets = np.concatenate([collector, anode])
    order = np.argsort(facets)
    values = np.concatenate([np.full(collector.size, COLLECTOR), np.full(anode.size, ANODE)]).astype(np.int32)
    facet_tags = dolfinx.mesh.meshtags(mesh, tdim - 1, facets[order], values[order])
    return mesh, cell_tags, facet_tags


def solver_options(current_scale: float, roundoff: float) -> dict:
    """Newton with backtracking and LU: converged when ‖R‖ ≤ 1e-10 ‖R₀‖, when ‖R‖ is
    below 1e-9 × the current scale [A/m² × area] or the round-off floor, or when
    the Newton step is below 1e-12 of the state.

    The residual's conduction terms σ φ / h are exact only to a relative ε
    (machine epsilon): with near-ideal conductors on fine meshes (σ/h ~ 1e10 S/m²)
    that floor lies above 1e-9 I, and the floor is ``roundoff`` = 64 ε σ_max U_max / h_min.
    """
    return {
        "snes_type": "newtonls",
        "snes_linesearch_type": "bt",
        "snes_rtol": 1e-10,
        "snes_atol": max(1e-9 * current_scale, roundoff),
        "snes_stol": 1e-12,
        "snes_max_it": 50,
        "ksp_type": "preonly",
        "pc_type": "lu",
        "pc_factor_mat_solver_type": "mumps",
    }


class ElectrodeTransport:
    """Backward-Euler steps of the potentials and the lithiation (see the module docstring)."""

    def __init__(
        self,
        mesh,
        cell_tags,
        facet_tags,
        parameters: ElectrodeParameters,
        xi_initial: float,
        *,
        sources: Sources | None = None,
        quadrature_degree: int = 4,
        prefix: str = "electrode_",
        current_scale: float = 1.0,
    ):
        self.mesh = mesh
        self.parameters = parameters
        self.prefix = prefix
        self.current_scale = current_scale
        cell = mesh.basix_cell()
        p1 = basix.ufl.element("Lagrange", cell, 1)
        dg0 = basix.ufl.element("DG", cell, 0)
        self.space = dolfinx.fem.functionspace(mesh, basix.ufl.mixed_element([p1, p1, dg0]))
        self.state = dolfinx.fem.Function(self.space, name="electrode_state")
        self.committed = dolfinx.fem.Function(self.space, name="electrode_committed")
        self.dt = dolfinx.fem.Constant(mesh, PETSc.ScalarType(1.0))
        self.current = dolfinx.fem.Constant(mesh, PETSc.ScalarType(0.0))  # I [A/m²], + discharge
        self.voltage = dolfinx.fem.Constant(mesh, PETSc.ScalarType(0.0))  # V, potentiostatic
        self.mode = "galvanostatic"
        dx = ufl.Measure("dx", domain=mesh, subdomain_data=cell_tags, metadata={"quadrature_degree": quadrature_degree})
        ds = ufl.Measure("ds", domain=mesh, subdomain_data=facet_tags, metadata={"quadrature_degree": quadrature_degree})
        self.dx, self.ds = dx, ds
        self._one = dolfinx.fem.Constant(mesh, PETSc.ScalarType(1.0))

        p = parameters
        phi_s, phi_e, xi = ufl.split(self.state)
        xi_n = ufl.split(self.committed)[2]
        w, v, z = ufl.TestFunctions(self.space)
        self.overpotential = phi_s - phi_e - p.equilibrium(xi, max_value=ufl.max_value)
        self.reaction = p.cathode_kinetics.current(self.overpotential, exp=ufl.exp)  # i_n
        self.anode_overpotential = -phi_e
        self.anode_current = p.anode_kinetics.current(self.anode_overpotential, exp=ufl.exp)
        a, cap = p.specific_area, p.capacity_density
        src = sources or Sources()

        def zero_or(value):
            return value if value is not None else dolfinx.fem.Constant(mesh, PETSc.ScalarType(0.0))

        residual = (
            p.electronic_conductivity * ufl.inner(ufl.grad(phi_s), ufl.grad(w)) * dx
            + a * self.reaction * w * dx(CATHODE)
            + p.cathode_ionic_conductivity * ufl.inner(ufl.grad(phi_e), ufl.grad(v)) * dx(CATHODE)
            + p.separator_ionic_conductivity * ufl.inner(ufl.grad(phi_e), ufl.grad(v)) * dx(SEPARATOR)
            - a * self.reaction * v * dx(CATHODE)
            - self.anode_current * v * ds(ANODE)
            + (cap * (xi - xi_n) / self.dt + a * self.reaction) * z * dx(CATHODE)
            + (xi - xi_n) * z * dx(SEPARATOR)
            - zero_or(src.solid) * w * dx
            - zero_or(src.electrolyte) * v * dx
            - zero_or(src.storage) * z * dx(CATHODE)
            - zero_or(src.anode) * v * ds(ANODE)
        )
        galvanostatic = residual + (self.current - zero_or(src.collector)) * w * ds(COLLECTOR)
        self._residuals = {"galvanostatic": galvanostatic, "potentiostatic": residual}
        self._problems = {}

        fdim = mesh.topology.dim - 1
        collector_dofs = dolfinx.fem.locate_dofs_topological(self.space.sub(0), fdim, facet_tags.find(COLLECTOR))
        self._voltage_bc = dolfinx.fem.dirichletbc(self.voltage, collector_dofs, self.space.sub(0))

        self.xi_space, self.xi_dofs = self.collapsed(2)
        cmap = mesh.topology.index_map(mesh.topology.dim)
        cathode = cell_tags.find(CATHODE)
        self._cathode_owned = cathode[cathode < cmap.size_local]
        self._scalar_forms = {}
        self.set_uniform(xi_initial, float(p.equilibrium(xi_initial)), 0.0)
        self.committed.x.array[:] = self.state.x.array

    # --- state -----------------------------------------------------------
    def collapsed(self, index: int):
        """(collapsed space, its dofs in the mixed space) of unknown ``index``."""
        space, dofs = self.space.sub(index).collapse()
        return space, np.asarray(dofs).reshape(-1)

    def set_uniform(self, xi: float, phi_s: float, phi_e: float) -> None:
        """Set the current state to uniform values (an initial guess or an initial condition)."""
        for index, value in enumerate((phi_s, phi_e, xi)):
            dofs = self.collapsed(index)[1]
            self.state.x.array[dofs] = value
        self.state.x.scatter_forward()

    def begin_step(self, dt: float, *, current: float | None = None, voltage: float | None = None) -> None:
        """Prepare a step of length ``dt`` at cell current density ``current`` or cell ``voltage``."""
        if (current is None) == (voltage is None):
            raise ValueError("a step is either galvanostatic (current) or potentiostatic (voltage)")
        self.dt.value = dt
        if current is not None:
            self.mode, self.current.value = "galvanostatic", current
        else:
            self.mode, self.voltage.value = "potentiostatic", voltage

    def _problem(self):
        if self.mode not in self._problems:
            bcs = [self._voltage_bc] if self.mode == "potentiostatic" else []
            prefix, options = f"{self.prefix}{self.mode}_", solver_options(self.current_scale, self._roundoff())
            self._problems[self.mode] = dolfinx.fem.petsc.NonlinearProblem(
                self._residuals[self.mode], self.state, bcs=bcs, petsc_options_prefix=prefix, petsc_options=options
            )
            forget_options(prefix, options)
        return self._problems[self.mode]

    def _roundoff(self) -> float:
        """64 ε σ_max U_max / h_min: the size of the residual's round-off."""
        tdim = self.mesh.topology.dim
        cells = np.arange(self.mesh.topology.index_map(tdim).size_local, dtype=np.int32)
        local = self.mesh.h(tdim, cells).min() if cells.size else np.inf
        h_min = self.mesh.comm.allreduce(local, op=MPI.MIN)
        p = self.parameters
        conductivity = max(p.cathode_ionic_conductivity, p.separator_ionic_conductivity, p.electronic_conductivity)
        potential = float(np.max(np.abs(p.equilibrium(np.linspace(0.0, 1.0, 101)))))
        return 64 * np.finfo(float).eps * conductivity * potential / h_min

    def solve(self) -> tuple[bool, int]:
        """Newton towards the end of the step; (converged, iterations). The state is kept as found."""
        problem = self._problem()
        problem.solve()
        snes = problem.solver
        return snes.getConvergedReason() > 0, snes.getIterationNumber()

    def commit(self) -> None:
        """Accept the step: ξ_n ← ξ."""
        self.committed.x.array[:] = self.state.x.array

    def restore(self) -> None:
        """Back to the last committed state."""
        self.state.x.array[:] = self.committed.x.array

    def close(self) -> None:
        """Destroy the solvers of both control modes now (collective; see chemomech.solve.release)."""
        for mode in sorted(self._problems):
            destroy_problem(self._problems.pop(mode))

    # --- observables -----------------------------------------------------
    def _integral(self, key: str, build) -> float:
        if key not in self._scalar_forms:
            self._scalar_forms[key] = dolfinx.fem.form(build())
        comm = self.mesh.comm
        return comm.allreduce(dolfinx.fem.assemble_scalar(self._scalar_forms[key]), op=MPI.SUM)

    def _facet_mean(self, key: str, expression, tag: int) -> float:
        total = self._integral(key, lambda: expression * self.ds(tag))
        size = self._integral(f"size_{tag}", lambda: self._one * self.ds(tag))
        return total / size

    def cell_voltage(self) -> float:
        """V = φ_s on the collector [V] (the anode metal is the reference, φ = 0)."""
        return self._facet_mean("voltage", ufl.split(self.state)[0], COLLECTOR)

    def anode_overpotential_value(self) -> float:
        """η_a = 0 − φ_e on the anode face [V]."""
        return self._facet_mean("eta_a", self.anode_overpotential, ANODE)

    def cell_current(self) -> float:
        """Current density through the anode face [A/m²] (+ discharge), from its kinetics."""
        return self._facet_mean("current", self.anode_current, ANODE)

    def cathode_volume(self) -> float:
        """Cathode measure (thickness in 1D) [m^d]."""
        return self._integral("cathode", lambda: self._one * self.dx(CATHODE))

    def mean_cathode_overpotential(self) -> float:
        """Cathode-volume mean of η_c = φ_s − φ_e − U(ξ) [V]."""
        return self._integral("eta_c", lambda: self.overpotential * self.dx(CATHODE)) / self.cathode_volume()

    def stored_charge(self, reference: float) -> float:
        """∫_cathode Q (ξ − ξ_ref) [C per unit cross-section in 1D]."""
        xi = ufl.split(self.state)[2]
        key = f"stored_{reference!r}"
        return self._integral(key, lambda: self.parameters.capacity_density * (xi - reference) * self.dx(CATHODE))

    def lithiation(self) -> np.ndarray:
        """ξ of the owned cathode cells (local array)."""
        values = self.state.x.array[self.xi_dofs]
        return values[self.xi_space.dofmap.list[self._cathode_owned, 0]]

    def lithiation_range(self) -> tuple[float, float, float]:
        """(min, mean, max) of ξ over the cathode (mean by volume)."""
        xi = self.lithiation()
        comm = self.mesh.comm
        low = comm.allreduce(xi.min() if xi.size else np.inf, op=MPI.MIN)
        high = comm.allreduce(xi.max() if xi.size else -np.inf, op=MPI.MAX)
        mean = self._integral("xi_mean", lambda: ufl.split(self.state)[2] * self.dx(CATHODE)) / self.cathode_volume()
        return low, mean, high

    def function(self, index: int, name: str):
        """A collapsed copy of φ_s (0), φ_e (1) or ξ (2) for output."""
        values = self.state.sub(index).collapse()
        values.name = name
        return values
