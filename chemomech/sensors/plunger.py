"""Virtual sensors on the top plunger: load cell and dilatometer.

Load cell: the axial force is read from the assembled internal-force residual
(virtual work), not from a recovered traction: with φ the field that is e_z
on the top face's axial dofs and zero elsewhere,

    F_model = −R_int(u; φ) = −∫ P : ∇φ dV,

which is the compressive force carried through the top face of the model.
The stack pressure is F_model / A_model with A_model = ∫_top dA of the model
(a slice of unit depth in plane strain, a quarter in 3D); the force on the
pellet is that pressure times the pellet area π R².

Dilatometer: plunger displacement = mean axial displacement of the top face,
∫_top u_z dA / A_model.
"""

import ufl

from chemomech.dolfinx_compat import dolfinx


class LoadCell:
    """Axial force [N] and stack pressure [Pa] on the top plunger."""

    def __init__(self, model):
        self.model = model
        probe = dolfinx.fem.Function(model.space, name="top_axial_probe")
        probe.x.array[model.boundary_dofs("top", model.axial)] = 1.0
        self._probe = probe
        reaction = ufl.replace(model.internal_residual, {model.test: probe})
        self._form = dolfinx.fem.form(reaction)
        self.model_area = model.boundary_measure("top")

    def pressure(self) -> float:
        """Compressive stack pressure, Pa (positive in compression)."""
        local = dolfinx.fem.assemble_scalar(self._form)
        return -self.model.domain.mesh.comm.allreduce(local) / self.model_area

    def force(self, pressure: float | None = None) -> float:
        """Compressive force on the whole pellet, N (from ``pressure`` [Pa] where it was just read)."""
        return (self.pressure() if pressure is None else pressure) * self.model.domain.loaded_area


class Dilatometer:
    """Mean axial displacement of the top plunger face [m]."""

    def __init__(self, model):
        self.model = model
        top = model.ds(model.domain.boundaries["top"])
        self._form = dolfinx.fem.form(model.u[model.axial] * model.weight * top)
        self.model_area = model.boundary_measure("top")

    def displacement(self) -> float:
        local = dolfinx.fem.assemble_scalar(self._form)
        return self.model.domain.mesh.comm.allreduce(local) / self.model_area
