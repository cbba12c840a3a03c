"""History variables at quadrature points and their place in the weak form.

Regions whose material has a compaction or creep law carry, at every point
of the volume quadrature, the inverse plastic metric Cp⁻¹ (kinematics
F = Fe · Fp · Fg, see principal.py), plus the porosity (compaction) or the
equivalent creep strain (creep) for output. Two copies exist: *committed*
(the last converged step) and *current* (the return mapping at the Newton
iterate, from the committed state).

Consistent linearisation. Before every residual assembly the return mapping
runs at the current iterate u* (F* = F(u*)); before every Jacobian assembly
its tangent B = dCp⁻¹/dF. The weak form sees

    Cp⁻¹(u) = Cp⁻¹* + B : (F(u) − F*),

whose value at u* is the return-mapped state (the residual is exact) and
whose derivative is the algorithmic one, so that ufl.derivative yields the
consistent tangent and Newton converges quadratically. The stress is
P = ∂W/∂F at fixed Cp⁻¹ (constitutive.NeoHookeanInelastic).

Step protocol (used by the stepper): ``begin_step(dt)``, the Newton hooks
``before_residual``/``before_jacobian``, then ``commit()`` on convergence or
``restore()`` on a cut-back. ``history_functions()`` lists the committed
Functions a checkpoint must store.
"""

import basix.ufl
import numpy as np
import ufl

from chemomech.dolfinx_compat import dolfinx
from chemomech.physics.inelastic.compaction import CompactionReturn, porosity
from chemomech.physics.inelastic.creep import CreepReturn
from chemomech.physics.inelastic.principal import tangent

KINEMATICS = 9 + 9 + 2  # F, Fg, μ, λ at each point


class _Region:
    """The points of one inelastic region and its return mapping."""

    def __init__(self, name, material, cells, dofmap):
        self.name = name
        self.cells = cells
        self.dofs = dofmap[cells].ravel()  # point order of Expression.eval over ``cells``
        self.compaction = material.compaction
        self.returner = CompactionReturn(material.compaction) if material.compaction else CreepReturn(material.creep)
        self.last = None  # (F, Fg, Cp⁻¹ₙ, ReturnResult) of the last update

    def update(self, data, Cp_inv_n, dt):
        """Return mapping at the points; returns (Cp⁻¹, per-point output increment or porosity)."""
        F, Fg = data[:, :9].reshape(-1, 3, 3), data[:, 9:18].reshape(-1, 3, 3)
        mu, lmbda = data[:, 18], data[:, 19]
        if self.compaction is not None:
            result = self.returner.update(F, Fg, Cp_inv_n, mu, lmbda)
            extra = porosity(result.Cp_inv, np.linalg.det(Fg), self.compaction.initial_porosity)
        else:
            result, extra = self.returner.update(F, Fg, Cp_inv_n, mu, lmbda, dt)
        self.last = (F, Fg, Cp_inv_n, result)
        return result.Cp_inv, extra

    def tangent(self):
        F, Fg, Cp_inv_n, result = self.last
        return tangent(F, Fg, Cp_inv_n, result)


class InelasticState:
    """Quadrature-point history of the inelastic regions of a MechanicsModel."""

    def __init__(self, mesh, u, F, Fg, mu, lmbda, regions: dict, degree: int):
        """``regions``: name -> (Material, local cells); F, Fg: 3×3 UFL expressions of u and the fields."""
        self.mesh = mesh
        self.u = u
        cell = mesh.topology.cell_name()

        def space(shape):
            element = basix.ufl.quadrature_element(cell, value_shape=shape, scheme="default", degree=degree)
            return dolfinx.fem.functionspace(mesh, element)

        tensor, scalar = space((3, 3)), space(())
        self.points, self.weights = tensor.ufl_element().custom_quadrature()
        self.Cp_inv = dolfinx.fem.Function(tensor, name="inverse_plastic_metric")
        self.Cp_inv_n = dolfinx.fem.Function(tensor, name="inverse_plastic_metric_committed")
        self.F_star = dolfinx.fem.Function(tensor, name="deformation_gradient_at_iterate")
        self.B = dolfinx.fem.Function(space((3, 3, 3, 3)), name="inverse_plastic_metric_tangent")
        self.porosity = dolfinx.fem.Function(scalar, name="porosity_at_points")
        self.porosity_n = dolfinx.fem.Function(scalar, name="porosity_at_points_committed")
        self.creep_strain = dolfinx.fem.Function(scalar, name="creep_strain_at_points")
        self.creep_strain_n = dolfinx.fem.Function(scalar, name="creep_strain_at_points_committed")
        for f in (self.Cp_inv, self.Cp_inv_n, self.F_star):
            f.x.array.reshape(-1, 3, 3)[:] = np.eye(3)
        data = ufl.as_vector([*(F[i, j] for i in range(3) for j in range(3)),
                              *(Fg[i, j] for i in range(3) for j in range(3)), mu, lmbda])
        self._data = dolfinx.fem.Expression(data, self.points)
        dofmap = tensor.dofmap.list
        self.regions = [_Region(name, material, cells, dofmap) for name, (material, cells) in regions.items()]
        for region in self.regions:
            if region.compaction is not None:
                for f in (self.porosity, self.porosity_n):
                    f.x.array[region.dofs] = region.compaction.initial_porosity
        self.dt = 0.0
        self._at = None  # u.x.array of the last update
        self._tangent_current = False

    def metric(self, F):
        """Cp⁻¹(u) = Cp⁻¹* + B : (F(u) − F*) as UFL, F = F(u)."""
        i, j, k, l = ufl.indices(4)
        return self.Cp_inv + ufl.as_tensor(self.B[i, j, k, l] * (F - self.F_star)[k, l], (i, j))

    # -- step protocol ---------------------------------------------------

    def begin_step(self, dt: float) -> None:
        """A new step of length dt from the committed state (dt = 0 in the preload)."""
        self.dt = dt
        self._at = None

    def before_residual(self) -> None:
        """Return mapping at the current iterate u (Newton hook)."""
        if self._at is not None and np.array_equal(self._at, self.u.x.array):
            return
        for region in self.regions:
            data = self._data.eval(self.mesh, region.cells).reshape(-1, KINEMATICS)
            Cp_inv_n = self.Cp_inv_n.x.array.reshape(-1, 3, 3)[region.dofs]
            Cp_inv, extra = region.update(data, Cp_inv_n, self.dt)
            self.Cp_inv.x.array.reshape(-1, 3, 3)[region.dofs] = Cp_inv
            self.F_star.x.array.reshape(-1, 3, 3)[region.dofs] = data[:, :9].reshape(-1, 3, 3)
            if region.compaction is not None:
                self.porosity.x.array[region.dofs] = extra
            else:
                self.creep_strain.x.array[region.dofs] = self.creep_strain_n.x.array[region.dofs] + extra
        self._at = self.u.x.array.copy()
        self._tangent_current = False

    def before_jacobian(self) -> None:
        """Consistent tangent at the current iterate (Newton hook)."""
        self.before_residual()
        if self._tangent_current:
            return
        for region in self.regions:
            self.B.x.array.reshape(-1, 81)[region.dofs] = region.tangent().reshape(-1, 81)
        self._tangent_current = True

    def commit(self) -> None:
        """The state at the converged u becomes the committed state."""
        self.before_residual()
        for current, committed in self._pairs():
            committed.x.array[:] = current.x.array

    def restore(self) -> None:
        """Back to the committed state (after a failed step)."""
        for current, committed in self._pairs():
            current.x.array[:] = committed.x.array
        self._at = None

    def history_functions(self) -> list:
        """The committed quadrature Functions that define the state (for checkpoints).

        Cp⁻¹ is the state proper; porosity and creep strain are its outputs.
        After writing them back from a checkpoint, call ``restore()``.
        """
        return [committed for _, committed in self._pairs()]

    def _pairs(self):
        return [
            (self.Cp_inv, self.Cp_inv_n),
            (self.porosity, self.porosity_n),
            (self.creep_strain, self.creep_strain_n),
        ]
