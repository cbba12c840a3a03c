"""Supports and loads: the stack fixture and the inclusion's symmetry supports.

Stack (physics.md section 6), stack axis z = last coordinate:

* supports: the domain's ``rollers`` (boundary -> held displacement
  components): for a stack the bottom plunger u_z = 0, the symmetry planes
  and a frictionless die wall (see chemomech.geometry.stack.rollers); for a
  box RVE rollers on the bottom and side faces;
* top plunger, as a load on the reference top face (dead load, force/area):
  preload p = f·P0 ramped over the preload steps, then
  ``pressure``  t_z = −p,
  ``spring``    t_z = −max(0, P0 + k_f/A (u_z − u_z⁰))   (Robin; k_f → ∞ is ``gap``),
  ``gap``       u_z = u_z⁰ (Dirichlet) while the plunger pushes,
  where u⁰ is the displacement at the end of the preload and A = π R².

A plunger can push but not pull. The spring's traction is cut at zero where
the stack shrinks away from it. The rigid ``gap`` plunger lifts off as a
whole when its reaction force would turn tensile (the stack then has a free
top face and the load cell reads zero) and touches down again where the
stack's top reaches u_z⁰: after every converged step the stepper asks
``update_contact`` and solves the step again if the contact changed.
"""

import ufl

from chemomech.dolfinx_compat import MPI, dolfinx


def held_components(model) -> list:
    """Homogeneous Dirichlet conditions of the domain's rollers (boundary -> components)."""
    return [
        model.fixed_component(boundary, component)
        for boundary, components in model.domain.rollers.items()
        for component in components
    ]


class StackFixture:
    """Bottom, lateral and symmetry supports plus the top-plunger load."""

    def __init__(self, model, spec):
        self.model = model
        self.spec = spec
        mesh = model.domain.mesh
        self.pressure = dolfinx.fem.Constant(mesh, 0.0)
        self.stiffness_per_area = dolfinx.fem.Constant(mesh, 0.0)
        self.u_ref = dolfinx.fem.Function(model.space, name="preload_displacement")
        z, u, v = model.axial, model.u, model.test
        top = model.ds(model.domain.boundaries["top"])
        traction = self.pressure
        if spec.type == "spring":  # u⁰ enters the form only here: other fixtures do not pack it on every cell
            traction = traction + self.stiffness_per_area * (u[z] - self.u_ref[z])
        traction = ufl.max_value(traction, 0.0)
        self.residual = model.internal_residual + traction * v[z] * model.weight * top
        self.fixed_bcs = held_components(model)
        self._gap_bc = self._top_gap_bc() if spec.type == "gap" else None
        self.lifted = False  # the gap plunger has lost contact
        self._lifted_committed = False
        self._load_cell = None

    def _top_gap_bc(self):
        model = self.model
        sub = model.component_space(model.axial)
        collapsed, self._axial_map = sub.collapse()
        self._gap_value = dolfinx.fem.Function(collapsed)
        facets = model.domain.facet_tags.find(model.domain.boundaries["top"])
        fdim = model.domain.mesh.topology.dim - 1
        dofs = dolfinx.fem.locate_dofs_topological((sub, collapsed), fdim, facets)
        self._top_dofs = dofs[0]
        return dolfinx.fem.dirichletbc(self._gap_value, dofs, sub)

    def attach_load_cell(self, load_cell) -> None:
        """The load cell whose reaction decides when the gap plunger lifts off."""
        self._load_cell = load_cell

    def solver_stage(self, stage: str) -> str:
        """The solver (set of Dirichlet conditions) of ``stage`` in the present contact state."""
        return "cycling_lifted" if stage == "cycling" and self.lifted else stage

    def stage_bcs(self, stage: str):
        """Dirichlet conditions of a solver stage ("preload", "cycling", "cycling_lifted")."""
        if stage == "cycling" and self._gap_bc is not None:
            return [*self.fixed_bcs, self._gap_bc]
        return list(self.fixed_bcs)

    def update_contact(self, stage: str) -> bool:
        """After a converged step: lift the gap plunger off or set it down; True if it changed.

        In contact it lifts off when the load cell reads tension; lifted, it
        touches down when some point of the stack's top passes u_z⁰.
        """
        if self._gap_bc is None or stage != "cycling":
            return False
        if not self.lifted:
            self.lifted = self._load_cell.pressure() < 0.0
            return self.lifted
        u = self.model.u.x.array
        local = (u[self._top_dofs] - self.u_ref.x.array[self._top_dofs]).max(initial=-float("inf"))
        touching = self.model.domain.mesh.comm.allreduce(local, op=MPI.MAX) > 0.0
        self.lifted = not touching
        return touching

    def commit_contact(self) -> None:
        """The contact state of the converged step (kept through cut-backs)."""
        self._lifted_committed = self.lifted

    def revert_contact(self) -> None:
        """Back to the contact state of the last converged step."""
        self.lifted = self._lifted_committed

    def begin_cycling(self) -> None:
        """Freeze the preload state u⁰ and switch to the cycling fixture."""
        self.u_ref.x.array[:] = self.model.u.x.array
        self._hold()

    def resume(self, stage: str, lifted: bool = False) -> None:
        """Re-enter ``stage`` after a restart, with u⁰ read back into ``u_ref``."""
        self.lifted = self._lifted_committed = lifted
        if stage == "cycling":
            self._hold()

    def _hold(self) -> None:
        """The cycling fixture relative to the preload state u⁰ in ``u_ref``."""
        if self._gap_bc is not None:
            self._gap_value.x.array[:] = self.u_ref.x.array[self._axial_map]
        spec = self.spec
        self.pressure.value = spec.pressure if spec.pressure is not None else spec.preload
        if spec.type == "gap":  # the plunger holds the top; lifted off, it exerts nothing
            self.pressure.value = 0.0
        if spec.type == "spring":
            self.pressure.value = spec.preload
            area = self.model.domain.loaded_area
            self.stiffness_per_area.value = spec.frame_stiffness / area

    def apply_preload(self, fraction: float) -> None:
        """Plunger pressure f·P0 during the preload ramp."""
        self.pressure.value = fraction * self.spec.preload


class InclusionSupport:
    """Symmetry planes of the quarter/octant model; outer surface free or fixed (the domain's rollers)."""

    def __init__(self, model):
        self.model = model
        self.residual = model.internal_residual
        self.fixed_bcs = held_components(model)

    lifted = False  # no plunger

    def stage_bcs(self, stage: str):
        return list(self.fixed_bcs)

    def solver_stage(self, stage: str) -> str:
        return stage

    def update_contact(self, stage: str) -> bool:
        """No contact changes."""
        return False

    def commit_contact(self) -> None:
        """No contact state."""

    def revert_contact(self) -> None:
        """No contact state."""

    def begin_cycling(self) -> None:
        """Nothing changes at the start of cycling."""

    def resume(self, stage: str, lifted: bool = False) -> None:
        """Nothing to restore after a restart."""

    def apply_preload(self, fraction: float) -> None:
        """An inclusion model has no plunger."""
