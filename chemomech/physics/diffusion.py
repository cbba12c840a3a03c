"""Stress-assisted Li diffusion in the active phase (lithiation model ``diffusion``).

The Li concentration c (mol per m³ of reference volume of the active phase)
obeys, in the active regions Ω_a (physics.md section 4),

    ∂c/∂t = ∇·[D (∇c − (Ω c / RT) ∇σh)],

with the inward molar flux j (mol/m²/s) through the flux surfaces Γ (the
active/SE interfaces, or the free surface of a single particle) and no flux
elsewhere (symmetry planes). Backward Euler in time, P1 in space; the weak
form with dV = w dx (w = 2π r in axisymmetry) is, for all v,

    ∫ (c − cₙ)/Δt v dV + ∫ D (∇c − (Ω c / RT) ∇σh)·∇v dV = ∫_Γ j v dA + ∫ s v dV,

linear in c for a given σh. c lives in the P1 space of the whole mesh; the
forms integrate over the active cells only and the dofs that touch no active
cell are held at zero (identity rows), so the problem is that of P1 on the
active subdomain without a submesh: σh, u and c share the parent mesh, and
the coupling needs no entity maps. Testing with Σ v_i = 1 on Ω_a shows that
the scheme conserves charge exactly:

    ∫ c dV − ∫ cₙ dV = Δt ∫_Γ j dA.

Galvanostatic current: a C-rate r (1/h, + lithiation) changes the mean
lithiation at dξ/dt = r/3600 s, i.e. the active phase takes up
c_max V_a r/3600 mol/s. Each current group g (regions Ω_g, their flux
surfaces Γ_g) receives the share of its volume, spread uniformly over Γ_g:

    j_g = c_max V_g r / (3600 A_g),   V_g = ∫_Ωg dV,  A_g = ∫_Γg dA.

One group of all regions and surfaces (``current_distribution: area``):
one flux density, so each particle takes current in proportion to its
interface area. One group per region (``volume``): every region lithiates
at the protocol's rate, whatever its interface area.

Stress term: σh of the mechanics (piecewise polynomial, discontinuous) is
L2-projected onto P1 over the active cells, M σ̂ = ∫ σh v dV, so that ∇σ̂
exists; its flux −D Ω c ∇σ̂ / RT drives Li towards tension. With
``stress_assisted`` false the term is absent and one transport solve per
step suffices (``two_way`` false). The problem is posed on the reference
configuration: exact at small strain, an approximation at finite strain.

Staggered coupling (chemomech.solve.coupling) with a fixed-stress split:
σh depends on c through the swelling, locally σh ≈ σ̄ − κ c with
κ = 2ΩE / (9(1 − ν)) in a free sphere (physics.md 10e), and with ∇σh of
the previous pass alone the passes diverge once the coupling number
θ = κ Ω c / RT exceeds about 1 (sulfur: θ ≈ 10). Each pass therefore
treats that local part implicitly (``stress_stiffness`` = κ):

    − D (Ω c / RT) ∇σh  →  − D (Ω c / RT) ∇σh_k−1 + D (Ω c_k−1 / RT) κ ∇(c − c_k−1),

which vanishes at convergence (c = c_k−1), so the converged step is that of
the monolithic problem; the passes then contract at about
|θ_true − θ| / (1 + θ), fast where the particle is nearly free. Ω in κ is
taken per cell as Ω / g³ (g³ = Jg(ξ)/Jg(ξ₀)), the slope of ln Jg in c,
as the swelling grows: a sulfur particle at 1C then needs 7-10 passes
per step to 1e-6 instead of diverging; embedded in an LPSCl shell, 8-18.
(The constrained value κ = K Ω was tried and is slower in both: 15-29
passes in the shell.)

ξ = c / c_max drives the growth (see MaterialFields.lithiate_from).
"""

import numpy as np
import ufl

from chemomech.dolfinx_compat import MPI, PETSc, dolfinx
from chemomech.solve.coupling import CoupledSolve
from chemomech.solve.newton import forget_options
from chemomech.solve.release import destroy_problem

GAS_CONSTANT = 8.314462618  # J/(mol K)
SECONDS_PER_HOUR = 3600.0

LINEAR_SOLVER = {"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
"""LU for the transport system (non-symmetric with the stress term)."""
PROJECTION_SOLVER = {"ksp_type": "cg", "pc_type": "jacobi", "ksp_rtol": 1.0e-12, "ksp_atol": 0.0, "ksp_max_it": 2000}
"""CG for the P1 mass matrix of the σh projection (SPD, condition number O(1) with Jacobi)."""


def active_dof_mask(space, dx_active) -> np.ndarray:
    """True for the local dofs (owned and ghost) of ``space`` that touch an active cell (on any rank)."""
    v = ufl.TestFunction(space)
    vector = dolfinx.fem.assemble_vector(dolfinx.fem.form(v * dx_active))
    vector.scatter_reverse(dolfinx.la.InsertMode.add)
    vector.scatter_forward()
    return vector.array > 0.0


def _surface_integral(integrand, ds, dS):
    """∫_Γ integrand dA over both exterior (ds) and interior (dS, continuous integrand) facets of Γ."""
    return integrand * ds + ufl.avg(integrand) * dS


class ParticleDiffusion:
    """The transport problem as a coupled field of the stepper (see chemomech.solve.coupling).

    ``begin_step(goal, dt)`` sets Δt and the flux of the goal's C-rate;
    ``solve()`` projects σh (stress-assisted only) and solves for c;
    ``commit()``/``restore()`` keep and bring back the converged c.
    ``after_solve``, if given, is called after every solve (the material
    fields read ξ = c / c_max from it).
    """

    name = "diffusion"
    before_mechanics = True

    def __init__(
        self,
        domain,
        regions: list[str],
        surfaces: list[str],
        *,
        diffusivity: float,
        max_concentration: float,
        partial_molar_volume: float,
        stress_assisted: bool,
        temperature: float,
        initial_lithiation: float,
        weight=1.0,
        hydrostatic_stress=None,
        stress_measure=None,
        quadrature_degree: int = 3,
        stress_stiffness=None,
        groups=None,
        source=None,
        boundary_flux=None,
        after_solve=None,
    ):
        mesh = domain.mesh
        self.mesh = mesh
        self._comm = mesh.comm
        self.two_way = bool(stress_assisted)
        self.max_concentration = float(max_concentration)
        self.after_solve = after_solve
        self._step = 0.0  # Δt of the step begun (0: the preload, where no time passes)
        space = dolfinx.fem.functionspace(mesh, ("Lagrange", 1))
        self.space = space
        self.c = dolfinx.fem.Function(space, name="concentration")
        self.c_committed = dolfinx.fem.Function(space, name="concentration_committed")
        self.sigma_h = dolfinx.fem.Function(space, name="hydrostatic_stress_p1")
        self.c_previous = dolfinx.fem.Function(space, name="concentration_previous_pass")
        self.dt = dolfinx.fem.Constant(mesh, 1.0)
        tags = tuple(domain.regions[name] for name in regions)
        metadata = {"quadrature_degree": quadrature_degree}
        cells = ufl.Measure("dx", domain=mesh, subdomain_data=domain.cell_tags, metadata=metadata)
        exterior = ufl.Measure("ds", domain=mesh, subdomain_data=domain.facet_tags, metadata=metadata)
        interior = ufl.Measure("dS", domain=mesh, subdomain_data=domain.facet_tags, metadata=metadata)

        def facets(names):
            return tuple(domain.boundaries[name] for name in names)

        dx = cells(tags)
        ds, dS = exterior(facets(surfaces)), interior(facets(surfaces))
        w = weight if not isinstance(weight, (int, float)) else dolfinx.fem.Constant(mesh, float(weight))

        c, v = ufl.TrialFunction(space), ufl.TestFunction(space)
        active = active_dof_mask(space, dx)
        inactive = np.flatnonzero(~active).astype(np.int32)
        self._owned = space.dofmap.index_map.size_local
        self._active_owned = np.flatnonzero(active[: self._owned])
        self._bcs = [dolfinx.fem.dirichletbc(np.zeros((), dtype=PETSc.ScalarType), inactive, space)]

        self.active_volume = self._integral(w * dx)
        self.surface_area = self._integral(_surface_integral(w, ds, dS))
        self.fluxes = []  # the inward flux density j_g of each current group (mol/m²/s)
        self._groups = []  # (V_g, A_g)
        inflow = 0
        for group_regions, group_surfaces in groups or [(regions, surfaces)]:
            names = facets(group_surfaces)
            volume = self._integral(w * cells(tuple(domain.regions[name] for name in group_regions)))
            area = self._integral(_surface_integral(w, exterior(names), interior(names)))
            if area <= 0.0:
                raise ValueError(f"the flux surfaces {group_surfaces} of {group_regions} have no area")
            flux = dolfinx.fem.Constant(mesh, 0.0)
            self.fluxes.append(flux)
            self._groups.append((volume, area))
            inflow += _surface_integral(flux * v * w, exterior(names), interior(names))
        self.c.x.array[active] = initial_lithiation * self.max_concentration
        self.c.x.scatter_forward()
        self.c_committed.x.array[:] = self.c.x.array

        D = dolfinx.fem.Constant(mesh, float(diffusivity))
        drift = dolfinx.fem.Constant(mesh, float(partial_molar_volume) / (GAS_CONSTANT * float(temperature)))
        flux_density = -ufl.grad(c)
        if self.two_way:
            flux_density = flux_density + drift * c * ufl.grad(self.sigma_h)
        a = (c * v / self.dt - ufl.inner(D * flux_density, ufl.grad(v))) * w * dx + self._pattern(c, v, domain, tags)
        if boundary_flux is not None:
            inflow = _surface_integral(boundary_flux * v * w, ds, dS)
        L = self.c_committed * v / self.dt * w * dx + inflow
        if self.two_way and stress_stiffness is not None:  # the fixed-stress term of the split
            split = D * drift * stress_stiffness * self.c_previous
            a += split * ufl.inner(ufl.grad(c), ufl.grad(v)) * w * dx
            L += split * ufl.inner(ufl.grad(self.c_previous), ufl.grad(v)) * w * dx
        if source is not None:
            L += source * v * w * dx
        self._problem = dolfinx.fem.petsc.LinearProblem(
            a, L, bcs=self._bcs, u=self.c, petsc_options_prefix="chemomech_diffusion_", petsc_options=LINEAR_SOLVER
        )
        forget_options("chemomech_diffusion_", LINEAR_SOLVER)
        self._projection = None
        if self.two_way:
            if hydrostatic_stress is None:
                raise ValueError("stress-assisted diffusion needs the hydrostatic stress")
            s, q = ufl.TrialFunction(space), ufl.TestFunction(space)
            measure = dx if stress_measure is None else stress_measure(tags)
            self._projection = dolfinx.fem.petsc.LinearProblem(
                s * q * w * dx + self._pattern(s, q, domain, tags),
                hydrostatic_stress * q * w * measure,
                bcs=self._bcs,
                u=self.sigma_h,
                petsc_options_prefix="chemomech_diffusion_stress_",
                petsc_options=PROJECTION_SOLVER,
            )
            forget_options("chemomech_diffusion_stress_", PROJECTION_SOLVER)
        self._content = dolfinx.fem.form(self.c * w * dx)

    @staticmethod
    def _pattern(trial, test, domain, active_tags):
        """0 · ∫ c v dx over the other regions: puts the diagonal entries of the held dofs
        into the sparsity pattern, where the Dirichlet rows place their 1."""
        others = tuple(tag for tag in domain.regions.values() if tag not in active_tags)
        if not others:
            return 0
        zero = dolfinx.fem.Constant(domain.mesh, 0.0)
        return zero * trial * test * ufl.Measure("dx", domain=domain.mesh, subdomain_data=domain.cell_tags)(others)

    def _integral(self, integrand) -> float:
        return self._comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(integrand)))

    def galvanostatic_fluxes(self, c_rate: float) -> list[float]:
        """j_g = c_max V_g r / (3600 A_g): the inward flux density of each group at C-rate r (mol/m²/s)."""
        rate = self.max_concentration * c_rate / SECONDS_PER_HOUR
        return [rate * volume / area for volume, area in self._groups]

    def content(self) -> float:
        """Li in the active phase, ∫ c dV (mol; per metre of depth in plane strain)."""
        return self._comm.allreduce(dolfinx.fem.assemble_scalar(self._content))

    # -- coupled field -------------------------------------------------------

    def begin_step(self, goal, dt: float) -> None:
        """Start a step of length ``dt`` towards ``goal`` (its C-rate sets the flux) from the committed c."""
        self._step = dt
        self.dt.value = dt if dt > 0.0 else 1.0
        for flux, value in zip(self.fluxes, self.galvanostatic_fluxes(goal.c_rate), strict=True):
            flux.value = value
        self.c.x.array[:] = self.c_committed.x.array
        self.c_previous.x.array[:] = self.c_committed.x.array

    def solve(self):
        """Project σh (stress-assisted), solve for c; the change is max |Δc| / c_max since the last solve."""
        if self._step <= 0.0:  # preload: no time passes, c stays
            return CoupledSolve(converged=True, change=0.0, iterations=0)
        if self._projection is not None:
            self._projection.solve()
            if self._projection.solver.getConvergedReason() <= 0:
                return CoupledSolve(converged=False, change=np.inf, iterations=1)
        self._problem.solve()
        if self._problem.solver.getConvergedReason() <= 0 or not np.isfinite(self.c.x.array).all():
            return CoupledSolve(converged=False, change=np.inf, iterations=1)
        change = self._max_owned(np.abs(self.c.x.array - self.c_previous.x.array)) / self.max_concentration
        self.c_previous.x.array[:] = self.c.x.array
        if self.after_solve is not None:
            self.after_solve()
        return CoupledSolve(converged=True, change=change, iterations=1)

    def commit(self) -> None:
        self.c_committed.x.array[:] = self.c.x.array

    def restore(self) -> None:
        self.c.x.array[:] = self.c_committed.x.array
        if self.after_solve is not None:
            self.after_solve()

    def step_change(self) -> float:
        """max |c − cₙ| / c_max over the step: the largest local change of ξ (adaptive stepping)."""
        return self._max_owned(np.abs(self.c.x.array - self.c_committed.x.array)) / self.max_concentration

    def functions(self) -> dict:
        """What a checkpoint stores: the committed concentration."""
        return {"concentration": self.c_committed}

    def output_functions(self) -> list:
        return [self.c]

    def close(self) -> None:
        """Destroy the transport and projection solvers now (collective; see chemomech.solve.release)."""
        destroy_problem(self._problem)
        destroy_problem(self._projection)

    def lithiation_range(self) -> tuple[float, float]:
        """(min, max) of ξ = c / c_max over the active dofs (owned, MPI-reduced)."""
        values = self.c.x.array[self._active_owned] / self.max_concentration
        low = values.min() if values.size else np.inf
        high = values.max() if values.size else -np.inf
        return self._comm.allreduce(low, op=MPI.MIN), self._comm.allreduce(high, op=MPI.MAX)

    def columns(self) -> dict:
        low, high = self.lithiation_range()
        return {"xi_min [-]": low, "xi_max [-]": high}

    def _max_owned(self, values: np.ndarray) -> float:
        local = float(values[: self._owned].max()) if self._owned else 0.0
        return self._comm.allreduce(local, op=MPI.MAX)


LI_PER_SULFUR = 2  # S + 2 Li -> Li2S


def default_flux_surfaces(boundaries, regions) -> list[str]:
    """Where the current enters by default: a single particle's ``surface``, an inclusion's
    ``interface``, and every ``interface:a/b`` between a diffusing and a non-diffusing region."""
    surfaces = []
    for name in boundaries:
        if name in ("surface", "interface"):
            surfaces.append(name)
        elif name.startswith("interface:"):
            sides = name.removeprefix("interface:").split("/")
            if sum(side in regions for side in sides) == 1:
                surfaces.append(name)
    return surfaces


def consistent_defaults(material, molar_volume: float, xi_initial: float) -> tuple[float, float]:
    """(c_max, Ω) of a region consistent with its material's swelling law.

    c_max = f · 2 / V_m: two Li per S atom, per reference volume of the
    region (V_m the molar volume of the fabricated phase, S or Li2S; f the
    active fraction). Ω = (Jg(1) − Jg(0)) / (c_max Jg(ξ₀)): the reference
    volume change per mole of Li, so that at small strain the growth
    eigenstrain is ε* = Ω (c − c₀) / 3, the linearisation of
    g = (Jg(ξ)/Jg(ξ₀))^(1/3) for the linear law Jg = 1 + f β ξ (the secant
    for a table). For sulfur, 0.787 · 15.49 cm³/mol / 2 = 6.1 cm³/mol:
    (V_m(Li2S) − V_m(S)) / 2.
    """
    c_max = material.active_fraction * LI_PER_SULFUR / molar_volume
    jump = float(material.growth_jacobian(1.0) - material.growth_jacobian(0.0))
    return c_max, jump / (c_max * float(material.growth_jacobian(xi_initial)))


def current_groups(distribution: str, regions: list[str], surfaces: list[str]) -> list:
    """The (regions, surfaces) groups that share one flux density (see ParticleDiffusion).

    ``area``: one group. ``volume``: one per region, with the surfaces
    ``interface:a/b`` that bound it (any surface when it is the only region).
    Raises GeometryError for a surface that bounds no region or cannot be
    told to belong to one.
    """
    from chemomech.errors import GeometryError

    if distribution == "area" or len(regions) == 1:
        return [(regions, surfaces)]
    owned = {region: [] for region in regions}
    for name in surfaces:
        sides = name.removeprefix("interface:").split("/") if name.startswith("interface:") else []
        owners = [side for side in sides if side in owned]
        if len(owners) != 1:
            raise GeometryError(
                f"lithiation.diffusion.current_distribution volume: the surface {name!r} does not bound exactly "
                f"one of the regions {regions}; use area or list interface:a/b surfaces"
            )
        owned[owners[0]].append(name)
    empty = [region for region, names in owned.items() if not names]
    if empty:
        raise GeometryError(f"lithiation.diffusion: no flux surface bounds the regions {empty}")
    return [([region], names) for region, names in owned.items()]


def free_particle_stiffness(mu, lmbda, omega):
    """κ = 2ΩE / (9(1 − ν)) = 4Ω μ(3λ + 2μ) / (9(λ + 2μ)): σh per concentration in a free sphere."""
    return 4 * omega * mu * (3 * lmbda + 2 * mu) / (9 * (lmbda + 2 * mu))


def particle_diffusion(spec, domain, materials: dict, model, fields, molar_volume: float, xi_initial: float):
    """The ParticleDiffusion of a case's ``lithiation.diffusion`` block ``spec``, wired to the
    mechanics (σh) and to the material fields (ξ = c / c_max of its regions).

    Raises GeometryError (on every rank alike) for a flux surface the mesh
    does not have, or for regions whose default c_max or Ω differ.
    """
    from chemomech.errors import GeometryError

    regions = spec.regions or [name for name, material in materials.items() if material.active_fraction > 0]
    surfaces = spec.surfaces if spec.surfaces is not None else default_flux_surfaces(domain.boundaries, regions)
    unknown = [name for name in surfaces if name not in domain.boundaries]
    if unknown or not surfaces:
        raise GeometryError(
            f"lithiation.diffusion.surfaces: {'unknown boundaries ' + str(unknown) if unknown else 'none found'}; "
            f"the mesh has {sorted(domain.boundaries)}"
        )
    groups = current_groups(spec.current_distribution, regions, surfaces)
    defaults = {consistent_defaults(materials[name], molar_volume, xi_initial) for name in regions}
    c_max = spec.max_concentration
    omega = spec.partial_molar_volume
    if len(defaults) > 1 and (c_max is None or omega is None):
        raise GeometryError(
            f"lithiation.diffusion: the regions {regions} differ in active fraction or swelling; "
            "set max_concentration and partial_molar_volume"
        )
    default_c_max, default_omega = defaults.pop()
    c_max = default_c_max if c_max is None else c_max
    omega = default_omega if omega is None else omega
    stress = model.cauchy_stress()
    transport = ParticleDiffusion(
        domain,
        regions,
        surfaces,
        diffusivity=spec.diffusivity,
        max_concentration=c_max,
        partial_molar_volume=omega,
        stress_assisted=spec.stress_assisted,
        temperature=spec.temperature,
        initial_lithiation=xi_initial,
        weight=model.weight,
        hydrostatic_stress=ufl.tr(stress) / 3,
        stress_measure=model.dx,
        stress_stiffness=free_particle_stiffness(fields.mu, fields.lmbda, omega / fields.g**3),
        groups=groups,
        after_solve=fields.refresh,
    )
    fields.lithiate_from(regions, transport.c / c_max)
    return transport
