"""The quasi-static mechanics problem: displacement space, energy, residual.

The residual is the first variation of the stored energy,

    R_int(u; v) = d/dε ∫ W(H(u + ε v)) dV,

with dV = w dx (w = 2π r in axisymmetry). In regions with an inelastic law
(compaction, creep) the residual is written with the stress at fixed
inelastic state, ∫ P(F, Cp⁻¹(u)) : ∇v dV, where Cp⁻¹(u) is the history at
quadrature points linearised about the Newton iterate (see
chemomech.physics.inelastic.state). Boundary conditions and loads are added
by the fixture; this module knows nothing about stages or time.

Phase-field fracture (chemomech.physics.fracture) degrades the tensile
part of the energy of the cracking regions by g(d): the law becomes
W(H, d) = W(H) − χ (1 − g(d)) W⁺(H) (fracture.phase_field.DegradedLaw),
with d held fixed in the mechanics solve.

Formulations (``mechanics.formulation``):

* ``displacement``: u in vector Lagrange P_k, the only unknown.
* ``mixed``: u in P2 and a pressure p in DG0 (P2–P0: inf-sup stable on
  triangles; on tetrahedra tests/test_verification_locking.py finds it as
  free of locking), with the law's λ term carried by p
  (constitutive.PressureSplit)::

      R_u(u, p; v) = d/dε ∫ [W_s(H(u + ε v)) + w_g p Θ(H(u + ε v))] dV
      R_p(u, p; q) = ∫ w_g (λ Θ(H) − p) q / h_K dV

  The continuum problem is that of the displacement formulation; the
  discrete one is free of volumetric locking as ν → 1/2, where P1 locks
  (physics.md section 3). R_p is weighted by 1/h_K (cell diameter), so its
  entries are forces like those of R_u and Newton's residual norm weighs
  both. The Jacobian is a non-symmetric saddle point: solved by LU (MUMPS).
"""

import basix
import numpy as np
import ufl

from chemomech.dolfinx_compat import PETSc, dolfinx
from chemomech.physics.constitutive import LAWS, NeoHookeanInelastic, PressureSplit
from chemomech.physics.inelastic.state import InelasticState
from chemomech.physics.kinematics import deformation_gradient, displacement_gradient, volume_weight


def default_quadrature_degree(degree: int, kind: str) -> int:
    """Volume quadrature degree when the case does not set one.

    With cell-wise constant materials the energy density of Lagrange degree k
    has gradients of degree k − 1: degree 2(k − 1) integrates the linear
    problem exactly (one point for P1). Axisymmetry adds u_r / r and the
    weight 2π r, so it keeps 2k. Never the degree UFL would estimate for
    ln, powers and inverses (physics.md section 3).
    """
    if kind == "axisymmetric":
        return 2 * degree
    return max(1, 2 * (degree - 1))


FORMULATIONS = ("displacement", "mixed")
NEAR_INCOMPRESSIBLE = 0.45
"""Poisson ratio above which the displacement formulation warns of locking:
λ/μ = 2ν/(1 − 2ν) > 9, where P1 bending errors are already twice those at
ν = 0.3 (plane-strain cantilever, L/D = 8, 8 elements through the depth:
12 % against 5 %); they grow like λ/μ towards ν = 1/2. Indium, at 0.45,
does not warn."""


def locking_warnings(materials: dict, xi_values, formulation: str, degree: int) -> list[str]:
    """One warning per region whose Poisson ratio exceeds NEAR_INCOMPRESSIBLE at any ξ visited,
    when the displacement formulation (which locks volumetrically) is used."""
    if formulation != "displacement":
        return []
    warnings = []
    for region, material in materials.items():
        nu = float(np.max(material.moduli(np.asarray(xi_values, dtype=float))[1]))
        if nu > NEAR_INCOMPRESSIBLE:
            warnings.append(
                f"region {region!r} is near-incompressible (Poisson ratio {nu:.4g} > {NEAR_INCOMPRESSIBLE}): "
                f"P{degree} displacement elements lock volumetrically and overestimate its stiffness; "
                "set mechanics.formulation: mixed"
            )
    return warnings


class MechanicsModel:
    """Displacement field (and pressure, mixed) and the internal-force residual of the whole domain.

    ``u`` is always the displacement Function on ``space``; ``unknowns``
    lists every Function Newton solves for (u, then p when mixed) and
    ``residuals`` the matching residual forms.
    """

    def __init__(
        self,
        domain,
        fields,
        *,
        kinematics: str,
        degree: int,
        quadrature_degree: int | None,
        formulation: str = "displacement",
        phase_field=None,
    ):
        """``phase_field`` (chemomech.physics.fracture.phase_field.PhaseField): degrade the
        tensile energy of its regions by g(d)."""
        if formulation not in FORMULATIONS:
            raise ValueError(f"unknown formulation {formulation!r}; expected one of {FORMULATIONS}")
        if formulation == "mixed" and degree != 2:
            raise ValueError("the mixed formulation is P2-P0: displacement degree 2")
        mesh = domain.mesh
        self.domain = domain
        self.kind = domain.kind
        self.kinematics = kinematics
        self.gdim = mesh.geometry.dim
        self.axial = self.gdim - 1
        self.space = dolfinx.fem.functionspace(mesh, ("Lagrange", degree, (self.gdim,)))
        self.u = dolfinx.fem.Function(self.space, name="displacement")
        self.test = ufl.TestFunction(self.space)
        self._components = {}  # component -> its subspace (see component_space)
        self.weight = volume_weight(mesh, self.kind)
        volume_degree = quadrature_degree or default_quadrature_degree(degree, self.kind)
        self.dx = ufl.Measure(
            "dx", domain=mesh, subdomain_data=domain.cell_tags, metadata={"quadrature_degree": volume_degree}
        )
        self.ds = ufl.Measure(
            "ds", domain=mesh, subdomain_data=domain.facet_tags, metadata={"quadrature_degree": 2 * degree}
        )
        # Over the regions by name where they cover the mesh, so that the
        # residual assembles block by block of cells (chemomech.solve.cell_blocks).
        volume = self.dx(tuple(sorted(set(domain.regions.values())))) if domain.regions_cover_cells else self.dx
        self.quadrature_points, self.quadrature_weights = basix.make_quadrature(mesh.basix_cell(), volume_degree)
        Fg = fields.growth_tensor(self.axial)
        self.law = LAWS[kinematics](fields.mu, fields.lmbda, Fg)
        if phase_field is not None:
            self.law = phase_field.degrade(self.law)
        self.H = displacement_gradient(self.u, self.kind)
        inelastic = {
            name: (material, domain.region_cells[name])
            for name, material in fields.materials.items()
            if getattr(material, "compaction", None) is not None or getattr(material, "creep", None) is not None
        }
        if phase_field is not None and (formulation == "mixed" or set(inelastic) & set(phase_field.laws)):
            raise ValueError("phase-field fracture needs mechanics.formulation: displacement and an elastic material")
        self.formulation = formulation
        self.pressure = None
        self.unknowns = [self.u]
        self.inelastic = None
        if formulation == "mixed":
            if inelastic:
                raise ValueError("compaction and creep need mechanics.formulation: displacement")
            pressure_space = dolfinx.fem.functionspace(mesh, ("DG", 0))
            self.pressure = dolfinx.fem.Function(pressure_space, name="pressure")
            self.law = PressureSplit(self.law, self.pressure)
            q = ufl.TestFunction(pressure_space)
            h = ufl.CellDiameter(mesh)
            self.pressure_residual = self.law.constraint(self.H) * q / h * self.weight * self.dx
            self.unknowns.append(self.pressure)
        if not inelastic:
            energy = self.law.energy(self.H) * self.weight * volume
            self.internal_residual = ufl.derivative(energy, self.u, self.test)
            return
        if kinematics != "finite_strain":
            raise ValueError(f"compaction and creep need finite_strain kinematics, not {kinematics!r}")
        F = deformation_gradient(self.u, self.kind)
        self.inelastic = InelasticState(mesh, self.u, F, Fg, fields.mu, fields.lmbda, inelastic, volume_degree)
        self._stress_law = NeoHookeanInelastic(fields.mu, fields.lmbda, Fg, self.inelastic.Cp_inv)
        linearised = NeoHookeanInelastic(fields.mu, fields.lmbda, Fg, self.inelastic.metric(F))
        inelastic_tags = tuple(domain.regions[name] for name in inelastic)
        elastic_tags = tuple(tag for name, tag in domain.regions.items() if name not in inelastic)
        test_gradient = displacement_gradient(self.test, self.kind)
        self.internal_residual = (
            ufl.inner(linearised.first_piola(self.H), test_gradient) * self.weight * self.dx(inelastic_tags)
        )
        if elastic_tags:
            energy = self.law.energy(self.H) * self.weight * self.dx(elastic_tags)
            self.internal_residual += ufl.derivative(energy, self.u, self.test)

    @property
    def step_states(self) -> list:
        """History states the stepper commits and restores (see physics.inelastic.state)."""
        return [] if self.inelastic is None else [self.inelastic]

    def history_functions(self) -> list:
        """The committed history Functions at quadrature points (what a checkpoint stores)."""
        return [f for state in self.step_states for f in state.history_functions()]

    def residuals(self, residual) -> list:
        """The residual forms matching ``unknowns``, given the displacement residual with its loads."""
        return [residual] if self.pressure is None else [residual, self.pressure_residual]

    def force_scale(self, stress: float) -> float:
        """Norm of the internal-force vector of a uniform hydrostatic stress.

        ‖∫ s tr(∇v) dV‖ sets the scale of residual norms (and of their
        round-off floor), so Newton's absolute tolerance is relative to it.
        """
        form = dolfinx.fem.form(stress * ufl.tr(displacement_gradient(self.test, self.kind)) * self.weight * self.dx)
        vector = dolfinx.fem.petsc.assemble_vector(form)
        vector.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        norm = vector.norm()
        vector.destroy()
        return norm

    def cauchy_stress(self):
        """Cauchy stress σ (3×3 UFL expression) of the current displacement and history.

        With history variables it can only be evaluated at the volume
        quadrature points (``quadrature_points``).
        """
        if self.inelastic is not None:
            return self._stress_law.cauchy(self.H)
        return self.law.cauchy(self.H)

    def component_space(self, component: int):
        """The subspace of one displacement component, made once.

        Every ``space.sub(i)`` builds a dofmap of its own (4 bytes per cell
        and node of a cell, about 0.03 kB per dof on P1 tetrahedra), and a
        Dirichlet condition keeps the one it was given for the whole run.
        """
        if component not in self._components:
            self._components[component] = self.space.sub(component)
        return self._components[component]

    def boundary_dofs(self, boundary: str, component: int):
        """Dofs of one displacement component on a named boundary."""
        tag = self.domain.boundaries[boundary]
        facets = self.domain.facet_tags.find(tag)
        fdim = self.domain.mesh.topology.dim - 1
        return dolfinx.fem.locate_dofs_topological(self.component_space(component), fdim, facets)

    def fixed_component(self, boundary: str, component: int):
        """Homogeneous Dirichlet condition u_component = 0 on a named boundary."""
        dofs = self.boundary_dofs(boundary, component)
        return dolfinx.fem.dirichletbc(0.0, dofs, self.component_space(component))

    def boundary_measure(self, boundary: str) -> float:
        """Reference measure ∫ w ds of a named boundary (area, MPI-reduced)."""
        form = dolfinx.fem.form(self.weight * self.ds(self.domain.boundaries[boundary]))
        local = dolfinx.fem.assemble_scalar(form)
        return self.domain.mesh.comm.allreduce(local)
