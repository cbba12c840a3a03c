"""Apparent (RVE) stiffness and swelling under the two classical boundary conditions.

Small strain, linear about the fabricated state at each ξ: every phase has
its moduli at ξ and the growth eigenstrain ε*(ξ) = g(ξ) − 1 of
chemomech.physics.material_fields. On the box B (|B| its volume, pores
included), with E and Σ macroscopic strain and stress tensors:

* uniform displacement (kinematic, UD): u = E·x on every box face;
  the apparent stress is ⟨σ⟩ = |B|⁻¹ ∫ σ dV (pores carry none);
* uniform traction (static, UT): t = Σ·n on every box face, the rigid
  motions removed by point supports at three corners (no reaction forces
  arise: the load is self-equilibrated); the apparent strain is
  ⟨ε⟩ = |B|⁻¹ ∫_∂B sym(u ⊗ n) dA (over the solid part of the faces: exact
  when no pore cuts a face).

The problems are linear in (E or Σ, ε*), so with the response to ε* alone
(E = 0 or Σ = 0) subtracted, unit loads give the columns of the apparent
stiffness C_UD (σ = C ε) and compliance S_UT (C_UT = S_UT⁻¹). The apparent
swelling strain is the eigenstrain of the equivalent homogeneous body
(Levin): under UT with Σ = 0 it is ⟨ε⟩ itself, under UD with E = 0 it is
ε*_UD = −C_UD⁻¹ ⟨σ⟩. C_UD bounds the effective stiffness from above and C_UT
from below (Huet 1990); both approach it as the RVE grows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import ufl

from chemomech.case.protocol import initial_lithiation
from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.errors import SolverFailure
from chemomech.geometry import box
from chemomech.geometry.premeshed import case_domain
from chemomech.materials import resolve_materials
from chemomech.physics.material_fields import MaterialFields
from chemomech.physics.mechanics import MechanicsModel
from chemomech.solve.newton import NewtonSolver
from chemomech.upscale.voigt import COMPONENTS, from_voigt, to_voigt

STRAIN_LOAD = 1e-3
"""Size of the unit macroscopic strains (the problem is linear: any size gives the same C)."""


@dataclass(frozen=True)
class ApparentState:
    """The apparent response at one ξ under one kind of boundary condition (SI, Voigt)."""

    xi: float
    boundary_conditions: str
    stiffness: np.ndarray
    swelling_strain: np.ndarray


class RVELoading:
    """The linear RVE problems of a box-shaped case, set up once and solved per ξ and load."""

    def __init__(self, case, comm=MPI.COMM_WORLD, mesh_dir: Path | None = None):
        self.materials = resolve_materials(case)
        self.domain = case_domain(case, comm, mesh_dir)
        self.fields = MaterialFields(self.domain, self.materials, initial_lithiation(case.lithiation))
        self.model = MechanicsModel(
            self.domain,
            self.fields,
            kinematics="small_strain",
            degree=case.solver.element_degree,
            quadrature_degree=case.solver.quadrature_degree,
        )
        mesh = self.domain.mesh
        self.gdim = mesh.geometry.dim
        self.comm = comm
        self.lengths = _box_lengths(mesh)
        self.volume = float(np.prod(self.lengths))
        self.faces = box.faces(self.gdim)
        self._macro = dolfinx.fem.Constant(mesh, np.zeros((3, 3)))
        model = self.model
        ds = model.ds(tuple(self.domain.boundaries[name] for name in self.faces))
        n = _embedded_normal(mesh)
        self._ud = self._uniform_displacement(case.solver)
        traction = ufl.dot(self._macro, n)
        self._ut = NewtonSolver(
            model.internal_residual - ufl.dot(traction, _embedded(model.test)) * ds,
            model.u,
            self._corner_supports(),
            case.solver,
            prefix="chemomech_homogenize_traction_",
            force_scale=model.force_scale(self.fields.max_youngs_modulus),
        )
        sigma = model.cauchy_stress()
        u = _embedded(model.u)
        self._stress_forms = [dolfinx.fem.form(sigma[i, j] * model.dx) for i, j in COMPONENTS[self.gdim]]
        self._strain_forms = [
            dolfinx.fem.form(0.5 * (u[i] * n[j] + u[j] * n[i]) * ds) for i, j in COMPONENTS[self.gdim]
        ]

    def _uniform_displacement(self, settings) -> NewtonSolver:
        """The solver with u = E·x (E = the macroscopic tensor) held on every box face."""
        model = self.model
        self._boundary_value = dolfinx.fem.Function(model.space)
        fdim = self.domain.mesh.topology.dim - 1
        facets = np.concatenate([self.domain.facet_tags.find(self.domain.boundaries[f]) for f in self.faces])
        dofs = dolfinx.fem.locate_dofs_topological(model.space, fdim, np.unique(facets))
        bc = dolfinx.fem.dirichletbc(self._boundary_value, dofs)
        return NewtonSolver(
            model.internal_residual,
            model.u,
            [bc],
            settings,
            prefix="chemomech_homogenize_displacement_",
            force_scale=model.force_scale(self.fields.max_youngs_modulus),
        )

    def _corner_supports(self) -> list:
        """Point supports that remove the rigid motions: all components at the origin, the
        in-plane rotation at (L_x, 0[, 0]) and, in 3D, the remaining rotations at (L_x, 0, 0)
        and (0, L_y, 0)."""
        gdim, z = self.gdim, self.gdim - 1
        ex = np.zeros(gdim)
        ex[0] = self.lengths[0]
        held = [(np.zeros(gdim), tuple(range(gdim))), (ex, (z,) if gdim == 2 else (1, 2))]
        if gdim == 3:
            held.append((np.array([0.0, self.lengths[1], 0.0]), (2,)))
        bcs = []
        for point, components in held:
            vertices = dolfinx.mesh.locate_entities_boundary(
                self.domain.mesh, 0, lambda x, p=point: np.linalg.norm(x[:gdim].T - p, axis=1) < 1e-9 * self.lengths.max()
            )
            if self.comm.allreduce(len(vertices)) == 0:
                raise SolverFailure(f"no mesh vertex at the box corner {point.tolist()} m to hold (a pore there?)")
            bcs += [
                dolfinx.fem.dirichletbc(
                    0.0,
                    dolfinx.fem.locate_dofs_topological(self.model.component_space(c), 0, vertices),
                    self.model.component_space(c),
                )
                for c in components
            ]
        return bcs

    def _solve(self, solver: NewtonSolver) -> None:
        self.model.u.x.array[:] = 0.0
        stats = solver.solve()
        if not stats.converged:
            raise SolverFailure(f"the RVE load case did not converge (SNES reason {stats.reason})")

    def _average(self, forms) -> np.ndarray:
        return np.array([self.comm.allreduce(dolfinx.fem.assemble_scalar(f)) for f in forms]) / self.volume

    def _stress_under_strain(self, strain: np.ndarray) -> np.ndarray:
        """⟨σ⟩ (Voigt) under u = E·x with E the given 3×3 strain."""
        matrix = strain[: self.gdim, : self.gdim]
        self._boundary_value.interpolate(lambda x: matrix @ x[: self.gdim])
        self._solve(self._ud)
        return self._average(self._stress_forms)

    def _strain_under_stress(self, stress: np.ndarray) -> np.ndarray:
        """⟨ε⟩ (Voigt, engineering shears) under t = Σ·n with Σ the given 3×3 stress."""
        self._macro.value[:] = stress
        self._solve(self._ut)
        self._macro.value[:] = 0.0
        return to_voigt(from_voigt(self._average(self._strain_forms), self.gdim, strain=False), self.gdim, strain=True)

    def apparent(self, xi: float, scale: float) -> dict[str, ApparentState]:
        """Both apparent responses at lithiation ``xi``; ``scale`` is a stress of the order of the moduli."""
        self.fields.update(xi)
        count = len(COMPONENTS[self.gdim])
        units = np.eye(count)
        free_stress = self._stress_under_strain(np.zeros((3, 3)))
        stiffness = np.column_stack([
            (self._stress_under_strain(from_voigt(STRAIN_LOAD * e, self.gdim, strain=True)) - free_stress)
            / STRAIN_LOAD
            for e in units
        ])
        stress_load = STRAIN_LOAD * scale
        free_strain = self._strain_under_stress(np.zeros((3, 3)))
        compliance = np.column_stack([
            (self._strain_under_stress(from_voigt(stress_load * e, self.gdim, strain=False)) - free_strain)
            / stress_load
            for e in units
        ])
        return {
            "uniform_displacement": ApparentState(
                xi, "uniform_displacement", _symmetric(stiffness), -np.linalg.solve(stiffness, free_stress)
            ),
            "uniform_traction": ApparentState(
                xi, "uniform_traction", _symmetric(np.linalg.inv(compliance)), free_strain
            ),
        }

    def close(self) -> None:
        """Destroy both solvers now (collective, the same order on every rank; see chemomech.solve.release)."""
        self._ud.close()
        self._ut.close()

    def phase_fractions(self) -> dict[str, float]:
        """Volume fraction of each region in the box, and of the voids as ``void``."""
        fractions = {}
        for name, tag in self.domain.regions.items():
            form = dolfinx.fem.form(1.0 * self.model.dx(tag))
            fractions[name] = self.comm.allreduce(dolfinx.fem.assemble_scalar(form)) / self.volume
        fractions["void"] = max(0.0, 1.0 - sum(fractions.values()))
        return fractions


def _symmetric(matrix: np.ndarray) -> np.ndarray:
    """The symmetric part (the apparent tensors are symmetric up to solver tolerance)."""
    return 0.5 * (matrix + matrix.T)


def _box_lengths(mesh) -> np.ndarray:
    """Box lengths (x, [y,] z) from the mesh extent (the box starts at the origin)."""
    gdim = mesh.geometry.dim
    points = mesh.geometry.x[:, :gdim]
    local = points.max(axis=0) if points.size else np.full(gdim, -np.inf)
    return np.array([mesh.comm.allreduce(float(value), op=MPI.MAX) for value in local])


def _embedded(vector):
    """A gdim-vector as a 3-vector in the model's 3×3 basis (plane strain: the third component 0)."""
    if vector.ufl_shape == (3,):
        return vector
    return ufl.as_vector([vector[0], vector[1], 0])


def _embedded_normal(mesh):
    return _embedded(ufl.FacetNormal(mesh))
