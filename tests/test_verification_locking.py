"""Verification: near-incompressible binder without volumetric locking (physics.md section 3).

An elastomer binder (E = 5 MPa) at ν = 0.499, λ/μ ≈ 500. The mixed
formulation (P2 displacement, DG0 pressure) matches closed forms within 1 %
where plain P1 displacement on the same mesh is off by tens of per cent:

* confined compression: a block in a frictionless die under the plunger
  pressure p₀ + p₁ cos(πx/L). The mean settlement is the uniaxial-strain
  value −p₀H/M (M = K + 4G/3, homogeneous: exact for both); the cosine part
  makes the material flow sideways, and its top deflection
  (closed_forms.confined_block_cosine_deflection) is where P1 locks;
* bending: a plane-strain cantilever under parabolic end shear
  (Timoshenko & Goodier), on triangles and as a one-element-thick slab of
  tetrahedra with the plane-strain constraint;
* a swelling particle in a binder shell (physics.md 10d), through the case
  pipeline;
* homogeneous states through the case pipeline: a layered stack with a
  binder layer (10c) and a near-incompressible swelling layer in a rigid
  die at finite strain (10b). The mixed form has the continuum problem of the
  displacement formulation, so these closed forms hold to solver tolerance.

Small loads make the finite-strain runs agree with the linear closed forms
to far below the discretisation error. Mixed errors fall at second order
under refinement.
"""

import math

import numpy as np
import pytest
import ufl

from chemomech.case.schema import Solver
from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.geometry.domain import Domain
from chemomech.materials.material import Material
from chemomech.physics.mechanics import MechanicsModel, locking_warnings
from chemomech.solve.newton import NewtonSolver
from closed_forms import (
    cantilever_displacement,
    cantilever_tip_deflection,
    confined_block_cosine_deflection,
    die_constant_pressure_stretch,
    lame,
    layered_stack_pressure_rise,
    p_wave_modulus,
    shell_interface_pressure,
)
from simulate import simulate

E_BINDER, NU_BINDER = 5e6, 0.499
DEGREE = {"displacement": 1, "mixed": 2}
KINEMATICS = ["small_strain", "finite_strain"]


class UniformMaterial:
    """The fields a MechanicsModel reads, for one material without growth."""

    materials: dict = {}  # region -> material: none with an inelastic law

    def __init__(self, mesh, E: float, nu: float):
        mu, lmbda = lame(E, nu)
        self.mu = dolfinx.fem.Constant(mesh, mu)
        self.lmbda = dolfinx.fem.Constant(mesh, lmbda)

    def growth_tensor(self, axial: int):
        return ufl.Identity(3)


def box_domain(lower, upper, cells, sides: dict) -> Domain:
    """A structured box (triangles in 2D, tetrahedra in 3D) with named boundary facets."""
    comm = MPI.COMM_WORLD
    if len(lower) == 2:
        mesh = dolfinx.mesh.create_rectangle(comm, [lower, upper], cells, dolfinx.mesh.CellType.triangle)
    else:
        mesh = dolfinx.mesh.create_box(comm, [lower, upper], cells, dolfinx.mesh.CellType.tetrahedron)
    tdim = mesh.topology.dim
    cell_map = mesh.topology.index_map(tdim)
    all_cells = np.arange(cell_map.size_local + cell_map.num_ghosts, dtype=np.int32)
    cell_tags = dolfinx.mesh.meshtags(mesh, tdim, all_cells, np.ones_like(all_cells))
    facets = [dolfinx.mesh.locate_entities_boundary(mesh, tdim - 1, marker) for marker in sides.values()]
    values = np.concatenate([np.full_like(f, tag) for tag, f in enumerate(facets, start=1)])
    facets = np.concatenate(facets)
    order = np.argsort(facets)
    facet_tags = dolfinx.mesh.meshtags(mesh, tdim - 1, facets[order], values[order])
    return Domain(
        mesh=mesh,
        cell_tags=cell_tags,
        facet_tags=facet_tags,
        regions={"binder": 1},
        boundaries={name: tag for tag, name in enumerate(sides, start=1)},
        kind="plane_strain" if tdim == 2 else "3d",
        loaded_area=1.0,
        height=upper[-1] - lower[-1],
    )


def binder_model(domain: Domain, formulation: str, kinematics: str, nu: float = NU_BINDER) -> MechanicsModel:
    return MechanicsModel(
        domain,
        UniformMaterial(domain.mesh, E_BINDER, nu),
        kinematics=kinematics,
        degree=DEGREE[formulation],
        quadrature_degree=None,
        formulation=formulation,
    )


def solve(model: MechanicsModel, residual, bcs) -> None:
    settings = Solver(element_degree=DEGREE[model.formulation], linear_solver="mumps", newton_rtol=1e-11)
    solver = NewtonSolver(
        model.residuals(residual),
        model.unknowns,
        bcs,
        settings,
        prefix=f"locking_{model.formulation}_",
        force_scale=model.force_scale(E_BINDER),
    )
    stats = solver.solve()
    assert stats.converged, stats


def boundary_integral(model: MechanicsModel, integrand, boundary: str) -> float:
    form = dolfinx.fem.form(integrand * model.ds(model.domain.boundaries[boundary]))
    return model.domain.mesh.comm.allreduce(dolfinx.fem.assemble_scalar(form))


# --- confined compression -----------------------------------------------------------------

WIDTH = HEIGHT = 1e-3


def confined_block(cells: int, formulation: str, kinematics: str) -> tuple[float, float]:
    """(mean, cosine amplitude) of the top deflection relative to the closed forms, minus 1."""
    p1 = (1e-4 if kinematics == "finite_strain" else 1e-2) * E_BINDER
    p0 = 2 * p1
    sides = {
        "bottom": lambda x: np.isclose(x[1], 0.0),
        "top": lambda x: np.isclose(x[1], HEIGHT),
        "walls": lambda x: np.isclose(x[0], 0.0) | np.isclose(x[0], WIDTH),
    }
    model = binder_model(box_domain([0.0, 0.0], [WIDTH, HEIGHT], [cells, cells], sides), formulation, kinematics)
    bcs = [model.fixed_component("bottom", 1), model.fixed_component("walls", 0)]
    k = math.pi / WIDTH
    x = ufl.SpatialCoordinate(model.domain.mesh)[0]
    plunger = (p0 + p1 * ufl.cos(k * x)) * model.test[1] * model.ds(model.domain.boundaries["top"])
    solve(model, model.internal_residual + plunger, bcs)
    mean = boundary_integral(model, model.u[1], "top") / WIDTH
    amplitude = 2 * boundary_integral(model, model.u[1] * ufl.cos(k * x), "top") / WIDTH
    settlement = -p0 * HEIGHT / p_wave_modulus(E_BINDER, NU_BINDER)
    deflection = confined_block_cosine_deflection(amplitude=p1, width=WIDTH, height=HEIGHT, E=E_BINDER, nu=NU_BINDER)
    return mean / settlement - 1, amplitude / deflection - 1


@pytest.mark.parametrize("kinematics", KINEMATICS)
def test_confined_compression_without_locking(kinematics):
    mean, amplitude = confined_block(8, "mixed", kinematics)
    assert abs(mean) < 1e-3  # uniaxial strain, σ_zz = −M ε_zz (measured ≤ 6e-5, finite strain)
    assert abs(amplitude) < 0.01  # measured 0.81 %
    mean_p1, amplitude_p1 = confined_block(8, "displacement", kinematics)
    assert abs(mean_p1) < 1e-3  # the homogeneous part is exact in P1 too ...
    assert amplitude_p1 < -0.5  # ... the sideways flow locks: measured −71 %


def test_confined_compression_converges_at_second_order():
    errors = [abs(confined_block(n, "mixed", "small_strain")[1]) for n in (4, 8, 16)]
    orders = [math.log2(coarse / fine) for coarse, fine in zip(errors, errors[1:])]
    assert min(orders) > 1.8, orders  # measured 1.88, 1.96


# --- bending -----------------------------------------------------------------------------

LENGTH, DEPTH = 4e-3, 1e-3


def cantilever(cells: int, formulation: str, kinematics: str, nu: float = NU_BINDER, slab: bool = False) -> float:
    """Tip deflection relative to the closed form, minus 1; ``cells`` through the depth.

    ``slab``: the beam as a 3D slab one element thick, u_z = 0 on its faces.
    """
    load = (1e-4 if kinematics == "finite_strain" else 1e-2) * E_BINDER * DEPTH  # per unit thickness
    sides = {"clamp": lambda x: np.isclose(x[0], 0.0), "tip": lambda x: np.isclose(x[0], LENGTH)}
    lower, upper, grid = [0.0, -DEPTH / 2], [LENGTH, DEPTH / 2], [cells * round(LENGTH / DEPTH), cells]
    thickness = 1.0
    if slab:
        thickness = DEPTH / cells
        sides["faces"] = lambda x: np.isclose(x[2], 0.0) | np.isclose(x[2], thickness)
        lower, upper, grid = [*lower, 0.0], [*upper, thickness], [*grid, 1]
    model = binder_model(box_domain(lower, upper, grid, sides), formulation, kinematics, nu)

    def exact(x):
        ux, uy = cantilever_displacement(x[0], x[1], load=load, length=LENGTH, depth=DEPTH, E=E_BINDER, nu=nu)
        return np.vstack([ux, uy] + ([np.zeros_like(ux)] if slab else []))

    clamp_displacement = dolfinx.fem.Function(model.space)
    clamp_displacement.interpolate(exact)
    facets = model.domain.facet_tags.find(model.domain.boundaries["clamp"])
    fdim = model.domain.mesh.topology.dim - 1
    clamp = dolfinx.fem.dirichletbc(clamp_displacement, dolfinx.fem.locate_dofs_topological(model.space, fdim, facets))
    bcs = [clamp] + ([model.fixed_component("faces", 2)] if slab else [])
    y = ufl.SpatialCoordinate(model.domain.mesh)[1]
    shear = load / (2 * DEPTH**3 / 12) * (DEPTH**2 / 4 - y**2)
    solve(model, model.internal_residual - shear * model.test[1] * model.ds(model.domain.boundaries["tip"]), bcs)
    tip = boundary_integral(model, model.u[1], "tip") / (DEPTH * thickness)  # u_y is uniform over the tip
    return tip / cantilever_tip_deflection(load=load, length=LENGTH, depth=DEPTH, E=E_BINDER, nu=nu) - 1


@pytest.mark.parametrize("kinematics", KINEMATICS)
def test_bending_without_locking(kinematics):
    assert abs(cantilever(8, "mixed", kinematics)) < 0.01  # measured 0.49 %
    assert cantilever(8, "displacement", kinematics) < -0.5  # P1 locks: measured −74 %


@pytest.mark.parametrize("nu", [0.4999, 0.49999])
def test_bending_stays_locking_free_towards_incompressibility(nu):
    errors = [cantilever(n, "mixed", "small_strain", nu) for n in (4, 8)]
    assert abs(errors[1]) < 0.01  # measured 0.49 %
    assert math.log2(abs(errors[0] / errors[1])) > 1.8  # second order, as at ν = 0.499


def test_bending_without_locking_on_tetrahedra():
    assert abs(cantilever(8, "mixed", "small_strain", slab=True)) < 0.01  # measured 0.37 %
    assert cantilever(8, "displacement", "small_strain", slab=True) < -0.5  # measured −72 %


# --- through the case pipeline -----------------------------------------------------------

A, B = 5e-6, 15e-6
EPS = 1e-3
E_PARTICLE, NU_PARTICLE = 80e9, 0.2


def particle_in_binder_case(formulation: str, mesh_size: float) -> str:
    return f"""
geometry:
  type: inclusion
  dimension: axisymmetric
  inclusion_radius: {A * 1e6} um
  outer_radius: {B * 1e6} um
  inclusion_material: particle
  matrix_material: binder
  mesh_size: {mesh_size * 1e6} um
materials:
  particle:
    youngs_modulus: {E_PARTICLE / 1e9} GPa
    poisson_ratio: {NU_PARTICLE}
    active_fraction: 1.0
    swelling: {{beta: {(1 + EPS) ** 3 - 1}}}
  binder: {{base: elastomer_binder, poisson_ratio: {NU_BINDER}}}
mechanics: {{kinematics: small_strain, formulation: {formulation}}}
lithiation:
  protocol: [{{step: discharge, rate: 1 C, until_xi: 1.0}}]
outputs: {{fields: false}}
solver: {{max_xi_step: 1.0, newton_rtol: 1.0e-12, element_degree: {DEGREE[formulation]}}}
"""


def test_swelling_particle_in_binder_shell():
    """10d: the binder shell deforms almost isochorically; a locked shell is far too stiff."""
    mu_i, lmbda_i = lame(E_PARTICLE, NU_PARTICLE)
    mu_m, lmbda_m = lame(E_BINDER, NU_BINDER)
    exact = shell_interface_pressure(A, B, EPS, lmbda_i + 2 * mu_i / 3, mu_m, lmbda_m + 2 * mu_m / 3)

    def pressure(formulation: str) -> tuple[float, list[str]]:
        sim, _ = simulate(particle_in_binder_case(formulation, A / 4))
        return -sim.stresses.region_statistics()["inclusion"]["hydrostatic_mean"], sim.stepper.warnings

    mixed, quiet = pressure("mixed")
    assert mixed == pytest.approx(exact, rel=0.01)  # measured 0.14 %
    assert quiet == []
    locked, warnings = pressure("displacement")
    assert locked > 2 * exact  # P1 locks: measured +335 %
    assert len(warnings) == 1 and warnings[0].startswith("region 'matrix' is near-incompressible")


BUFFER = ("buffer", 40e-6, E_BINDER, NU_BINDER, 0.0)
LAYERS = [("cathode", 60e-6, 12e9, 0.30, 0.3), BUFFER, ("separator", 200e-6, 22e9, 0.37, 0.0)]
BETA = 0.787


def stack_case(layers, *, kinematics: str, fixture: str, beta: float = BETA) -> str:
    materials = "\n".join(
        f"  {name}_m: {{youngs_modulus: {E / 1e6} MPa, poisson_ratio: {nu}, active_fraction: {fa},"
        f" swelling: {{beta: {beta}}}}}"
        for name, _, E, nu, fa in layers
    )
    rows = "\n".join(f"    - {{name: {name}, material: {name}_m, thickness: {h * 1e6} um}}" for name, h, *_ in layers)
    return f"""
geometry:
  type: stack
  dimension: plane_strain
  diameter: 1 mm
  mesh_size: 100 um
  layers:
{rows}
materials:
{materials}
mechanics: {{kinematics: {kinematics}, formulation: mixed}}
lithiation:
  protocol: [{{step: discharge, rate: 1 C, until_xi: 1.0}}]
fixture: {fixture}
outputs: {{fields: false}}
solver: {{max_xi_step: 0.5, newton_rtol: 1.0e-12}}
"""


def test_stack_with_binder_layer_in_a_gap():
    """10c with a near-incompressible buffer layer, which takes most of the swelling."""
    preload = 1e6
    sim, history = simulate(stack_case(LAYERS, kinematics="small_strain", fixture="{preload: 1 MPa, type: gap}"))
    assert sim.model.formulation == "mixed" and sim.model.space.element.basix_element.degree == 2
    assert not any("near-incompressible" in warning for warning in sim.stepper.warnings)
    eps = (1 + 0.3 * BETA) ** (1 / 3) - 1
    layers = [(h, E, nu, eps if fa > 0 else 0.0) for _, h, E, nu, fa in LAYERS]
    expected = layered_stack_pressure_rise(layers, math.pi * 1e-3**2 / 4, math.inf)
    preloaded = [p for state, p, _ in history if state.stage == "preload"][-1]
    assert preloaded == pytest.approx(preload, rel=1e-6)
    rise = history[-1][1] - preloaded
    assert rise == pytest.approx(expected, rel=1e-6)
    without_buffer = layered_stack_pressure_rise([layers[0], layers[2]], math.pi * 1e-3**2 / 4, math.inf)
    assert rise < 0.2 * without_buffer  # the compliant buffer (M ≈ K) takes most of the swelling


def test_near_incompressible_layer_in_die_at_finite_strain():
    """10b, constant pressure: a swelling layer at ν = 0.499, F = diag(1, 1, s), σ_zz(s) = −p."""
    beta, p = 0.1, 2e6
    layer = [("active", 100e-6, E_BINDER, NU_BINDER, 1.0)]
    sim, history = simulate(
        stack_case(layer, kinematics="finite_strain", fixture=f"{{preload: {p / 1e6} MPa, type: pressure}}", beta=beta)
    )
    mu, lmbda = lame(E_BINDER, NU_BINDER)
    preloaded = [d for state, _, d in history if state.stage == "preload"][-1]
    for xi, displacement in [(0.0, preloaded), (1.0, history[-1][2])]:
        g = (1 + beta * xi) ** (1 / 3)
        s = die_constant_pressure_stretch(p, g, mu, lmbda)
        assert displacement == pytest.approx((s - 1) * 100e-6, rel=1e-6)


def test_displacement_formulation_warns_of_locking():
    binder = Material("elastomer_binder", E_BINDER, 0.49)
    ptfe = Material("PTFE", 0.5e9, 0.46)
    electrolyte = Material("Li6PS5Cl", 22e9, 0.37)
    indium = Material("indium", 11e9, 0.45)  # at the threshold: no warning
    materials = {"buffer": binder, "membrane": ptfe, "separator": electrolyte, "anode": indium}
    warnings = locking_warnings(materials, [0.0, 1.0], "displacement", 1)
    assert len(warnings) == 2
    assert "'buffer'" in warnings[0] and "0.49" in warnings[0] and "formulation: mixed" in warnings[0]
    assert "'membrane'" in warnings[1]
    assert locking_warnings(materials, [0.0, 1.0], "mixed", 2) == []
    lithiated = Material("soft", 1e9, 0.3, lithiated_poisson_ratio=0.48)  # ν reaches 0.453 at ξ = 0.85
    assert len(locking_warnings({"cathode": lithiated}, [0.0, 0.85], "displacement", 1)) == 1
    assert locking_warnings({"cathode": lithiated}, [0.0, 0.5], "displacement", 1) == []
