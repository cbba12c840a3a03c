"""Virtual sensors on the top plunger: load cell and dilatometer.

Load cell: the axial force is read from the assembled internal-force residual
(virtual work), not from a recovered traction: with φ the field that is e_z
on the top face's axial dofs and zero elsewhere,

    F_model = −R_int(u; φ) = −∫ P : ∇φ dV,

which is the compressive force carried through the top face of the model.
The stack pressure is F_model / A_model with A_model = ∫_top dA of the model
(a slice of unit depth in plane strain, a quarter in 3D); the force on the
pellet is that pressure times the pellet area π R². φ vanishes on every
cell without a top-face dof, so the form integrates over the layer of cells
that touch the top only (the same sum, a fraction of the cost of a residual).

Dilatometer: plunger displacement = mean axial displacement of the top face,
∫_top u_z dA / A_model.
"""

import numpy as np
import ufl

from chemomech.dolfinx_compat import dolfinx


def on_support(form: ufl.Form, probe) -> ufl.Form:
    """``form`` (cell integrals, linear in ``probe``) integrated only over the cells where ``probe`` has a nonzero dof.

    Every cell integral keeps its regions: cell c gets its region tag if it
    is in the support and none otherwise, and an integral over the whole
    domain becomes one over all region tags.
    """
    space, domain = probe.function_space, probe.function_space.mesh
    dofmap, bs = space.dofmap, space.dofmap.index_map_bs
    nonzero = np.any(probe.x.array.reshape(-1, bs) != 0.0, axis=1)
    cells = np.flatnonzero(np.any(nonzero[dofmap.list], axis=1)).astype(np.int32)
    integrals = form.integrals()
    tags = integrals[0].subdomain_data()
    region = np.zeros(dofmap.list.shape[0], dtype=np.int32)  # untagged cells: 0
    if tags is not None:
        region[tags.indices] = tags.values
    support = dolfinx.mesh.meshtags(domain, domain.topology.dim, cells, region[cells])
    everywhere = tuple(int(t) for t in np.unique(np.concatenate(domain.comm.allgather(np.unique(region)))))
    restricted = []
    for integral in integrals:
        if integral.integral_type() != "cell":
            raise ValueError(f"on_support takes cell integrals, not {integral.integral_type()}")
        ids = integral.subdomain_id()
        restricted.append(integral.reconstruct(subdomain_id=everywhere if ids in ("everywhere", "otherwise") else ids, subdomain_data=support))
    return ufl.Form(restricted)


class LoadCell:
    """Axial force [N] and stack pressure [Pa] on the top plunger."""

    def __init__(self, model):
        self.model = model
        probe = dolfinx.fem.Function(model.space, name="top_axial_probe")
        probe.x.array[model.boundary_dofs("top", model.axial)] = 1.0
        self._probe = probe
        reaction = ufl.replace(model.internal_residual, {model.test: probe})
        self._form = dolfinx.fem.form(on_support(reaction, probe))
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
