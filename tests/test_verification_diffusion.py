"""Verification: the diffusion PDE of chemomech.physics.diffusion (physics.md 10i).

Manufactured solutions of ∂c/∂t = ∇·[D(∇c − k c ∇σh)], k = Ω/RT, with a
given σh projected onto P1 as the mechanics' σh is:

* spatial order: c linear in time (backward Euler is then exact in time),
  smooth in space: L2 error O(h²) for P1, with and without the stress term,
  plane and axisymmetric (the axis r = 0 inside the domain);
* time order: c and σh linear in space (in the P1 space: no spatial error),
  exponential in time: error O(Δt) for backward Euler.

Charge conservation: with a galvanostatic flux through an interior interface
(dS) and an outer surface (ds) of the active half of a two-region domain,
∫ c dV over the active cells changes by Δt j A_Γ to 1e-8, and the dofs of
the inactive region stay zero. Between two particles, one flux density
(current_distribution area) or each region's volume share (volume) sets
their lithiation rates, to 1e-8.
"""

import itertools
import math
from types import SimpleNamespace

import numpy as np
import pytest
import ufl

from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.geometry import Domain
from chemomech.physics.diffusion import GAS_CONSTANT, ParticleDiffusion, current_groups

DIFFUSIVITY = 0.7
DRIFT = 0.8  # k = Ω / RT
TEMPERATURE = 300.0


def square_domain(n: int, kind: str = "plane_strain", x0: float = 0.0) -> Domain:
    """[x0, x0 + 1] × [0, 1], one region 'particle', its whole boundary 'surface'."""
    mesh = dolfinx.mesh.create_rectangle(
        MPI.COMM_WORLD,
        [np.array([x0, 0.0]), np.array([x0 + 1.0, 1.0])],
        [n, n],
        dolfinx.mesh.CellType.triangle,
        ghost_mode=dolfinx.mesh.GhostMode.shared_facet,
    )
    tdim = mesh.topology.dim
    mesh.topology.create_connectivity(tdim - 1, tdim)
    index_map = mesh.topology.index_map(tdim)
    cells = np.arange(index_map.size_local + index_map.num_ghosts, dtype=np.int32)
    cell_tags = dolfinx.mesh.meshtags(mesh, tdim, cells, np.ones_like(cells))
    facets = dolfinx.mesh.exterior_facet_indices(mesh.topology)
    facet_tags = dolfinx.mesh.meshtags(mesh, tdim - 1, facets, np.ones_like(facets))
    return Domain(mesh, cell_tags, facet_tags, {"particle": 1}, {"surface": 1}, kind, 1.0, 1.0)


def weight_of(domain):
    if domain.kind == "axisymmetric":
        return 2 * math.pi * ufl.SpatialCoordinate(domain.mesh)[0]
    return 1.0


def divergence(flux, domain):
    """∇·F in the model's coordinates: (1/r) ∂(r F_r)/∂r + ∂F_z/∂z in axisymmetry."""
    if domain.kind == "axisymmetric":
        r = ufl.SpatialCoordinate(domain.mesh)[0]
        return ufl.div(r * flux) / r
    return ufl.div(flux)


def solve_manufactured(domain, c_of, dc_dt_of, sigma, *, stress_assisted, steps, end_time, degree=6):
    """Step the manufactured problem to ``end_time``; return the L2 error of c there."""
    mesh = domain.mesh
    t = dolfinx.fem.Constant(mesh, 0.0)
    exact = c_of(ufl.SpatialCoordinate(mesh), t)
    rate = dc_dt_of(ufl.SpatialCoordinate(mesh), t)
    D = DIFFUSIVITY
    flux = D * ufl.grad(exact)
    if stress_assisted:
        flux = flux - D * DRIFT * exact * ufl.grad(sigma)
    source = rate - divergence(flux, domain)
    inflow = ufl.dot(flux, ufl.FacetNormal(mesh))
    transport = ParticleDiffusion(
        domain,
        ["particle"],
        ["surface"],
        diffusivity=D,
        max_concentration=1.0,
        partial_molar_volume=DRIFT * GAS_CONSTANT * TEMPERATURE,
        stress_assisted=stress_assisted,
        temperature=TEMPERATURE,
        initial_lithiation=0.0,
        weight=weight_of(domain),
        hydrostatic_stress=sigma,
        quadrature_degree=degree,
        source=source,
        boundary_flux=inflow,
    )
    transport.c.interpolate(dolfinx.fem.Expression(exact, transport.space.element.interpolation_points))
    transport.commit()
    dt = end_time / steps
    for i in range(1, steps + 1):
        t.value = i * dt
        transport.begin_step(SimpleNamespace(time=i * dt, c_rate=0.0), dt)
        result = transport.solve()
        assert result.converged
        transport.commit()
    dx = ufl.Measure("dx", domain=mesh, metadata={"quadrature_degree": degree})
    error = dolfinx.fem.form((transport.c - exact) ** 2 * dx)
    return math.sqrt(mesh.comm.allreduce(dolfinx.fem.assemble_scalar(error)))


def smooth_c(x, t):
    return (1 + t) * (2 + ufl.cos(math.pi * x[0]) * ufl.cos(math.pi * x[1]) + 0.5 * x[1] ** 2)


def smooth_rate(x, t):
    return 2 + ufl.cos(math.pi * x[0]) * ufl.cos(math.pi * x[1]) + 0.5 * x[1] ** 2


def smooth_sigma(x):
    return ufl.cos(0.5 * math.pi * x[0]) * (1 + x[1]) ** 2 - 0.3 * x[1]


def orders(errors):
    return [math.log2(coarse / fine) for coarse, fine in itertools.pairwise(errors)]


@pytest.mark.parametrize("stress_assisted", [False, True])
@pytest.mark.parametrize("kind", ["plane_strain", "axisymmetric"])
def test_spatial_convergence_is_second_order(kind, stress_assisted):
    errors = []
    for n in (8, 16, 32):
        domain = square_domain(n, kind)
        sigma = smooth_sigma(ufl.SpatialCoordinate(domain.mesh))
        errors.append(
            solve_manufactured(
                domain, smooth_c, smooth_rate, sigma, stress_assisted=stress_assisted, steps=2, end_time=0.5
            )
        )
    measured = orders(errors)
    assert min(measured) > 1.85, (errors, measured)
    assert errors[-1] < 5e-3, errors  # ‖c‖ is about 3 here: 0.1 %


def linear_c(x, t):
    return ufl.exp(-2 * t) * (1 + x[0] + 2 * x[1])


def linear_rate(x, t):
    return -2 * ufl.exp(-2 * t) * (1 + x[0] + 2 * x[1])


@pytest.mark.parametrize("stress_assisted", [False, True])
def test_backward_euler_is_first_order_in_time(stress_assisted):
    domain = square_domain(4)
    x = ufl.SpatialCoordinate(domain.mesh)
    sigma = 0.5 * x[0] - x[1]
    errors = [
        solve_manufactured(domain, linear_c, linear_rate, sigma, stress_assisted=stress_assisted, steps=s, end_time=0.5)
        for s in (4, 8, 16, 32)
    ]
    measured = orders(errors)
    assert all(0.9 < p < 1.1 for p in measured), (errors, measured)


def strip_domain(n: int, regions: dict[str, tuple[float, float]], lines: dict[str, float]) -> Domain:
    """The strip [0, L] × [0, 1] in triangles, n cells per unit length; L is the last region's end.

    ``regions`` (tagged 1, 2, ... in order) are the cells whose midpoints lie in
    x-intervals [start, end); ``lines`` the facet groups on the lines x = const.
    """
    length = max(end for _, end in regions.values())
    mesh = dolfinx.mesh.create_rectangle(
        MPI.COMM_WORLD,
        [np.array([0.0, 0.0]), np.array([length, 1.0])],
        [round(length * n), n],
        dolfinx.mesh.CellType.triangle,
        ghost_mode=dolfinx.mesh.GhostMode.shared_facet,
    )
    tdim = mesh.topology.dim
    mesh.topology.create_connectivity(tdim - 1, tdim)
    index_map = mesh.topology.index_map(tdim)
    cells = np.arange(index_map.size_local + index_map.num_ghosts, dtype=np.int32)
    x = dolfinx.mesh.compute_midpoints(mesh, tdim, cells)[:, 0]
    inside = [(start <= x) & (x < end) for start, end in regions.values()]
    cell_tags = dolfinx.mesh.meshtags(mesh, tdim, cells, np.select(inside, range(1, len(regions) + 1)).astype(np.int32))
    found = [
        dolfinx.mesh.locate_entities(mesh, tdim - 1, lambda p, at=at: np.isclose(p[0], at)) for at in lines.values()
    ]
    facets = np.concatenate(found)
    order = np.argsort(facets)
    values = np.concatenate([np.full_like(group, tag) for tag, group in enumerate(found, start=1)])[order]
    facet_tags = dolfinx.mesh.meshtags(mesh, tdim - 1, facets[order], values.astype(np.int32))
    names = {name: tag for tag, name in enumerate(regions, start=1)}
    boundaries = {name: tag for tag, name in enumerate(lines, start=1)}
    return Domain(mesh, cell_tags, facet_tags, names, boundaries, "plane_strain", 1.0, 1.0)


def two_region_domain(n: int) -> Domain:
    """[0, 2] × [0, 1]: 'particle' for x < 1, 'electrolyte' beyond; the interface x = 1 and the left edge x = 0."""
    regions = {"particle": (0.0, 1.0), "electrolyte": (1.0, 2.0)}
    return strip_domain(n, regions, {"interface:particle/electrolyte": 1.0, "left": 0.0})


@pytest.mark.parametrize("surfaces", [["interface:particle/electrolyte"], ["interface:particle/electrolyte", "left"]])
def test_galvanostatic_flux_conserves_charge(surfaces):
    domain = two_region_domain(6)
    c_max, rate = 2.5e4, 2.0
    transport = ParticleDiffusion(
        domain,
        ["particle"],
        surfaces,
        diffusivity=1e-3,
        max_concentration=c_max,
        partial_molar_volume=1e-6,
        stress_assisted=False,
        temperature=TEMPERATURE,
        initial_lithiation=0.1,
        after_solve=None,
    )
    assert transport.active_volume == pytest.approx(1.0, rel=1e-12)
    assert transport.surface_area == pytest.approx(len(surfaces), rel=1e-12)
    content = transport.content()
    assert content == pytest.approx(0.1 * c_max, rel=1e-12)
    time, dt = 0.0, 90.0
    for _ in range(3):
        time += dt
        transport.begin_step(SimpleNamespace(time=time, c_rate=rate), dt)
        assert transport.solve().converged
        transport.commit()
        # ∫ c dV rises by c_max V_a r Δt / 3600 = Δt j A_Γ, exactly
        expected = content + c_max * transport.active_volume * rate * dt / 3600
        assert transport.content() == pytest.approx(expected, rel=1e-8)
        content = transport.content()
    low, high = transport.lithiation_range()
    assert low < 0.1 + rate * time / 3600 < high  # a gradient from the flux surfaces inwards
    # dofs that touch no particle cell stay at zero
    x = transport.space.tabulate_dof_coordinates()
    outside = x[:, 0] > 1.0 + 1e-9
    assert np.all(transport.c.x.array[outside] == 0.0)


def three_region_domain(n: int) -> Domain:
    """[0, 3] × [0, 1]: particle 'big' (x < 1), 'electrolyte', particle 'small' (x > 2.5), with their interfaces."""
    regions = {"big": (0.0, 1.0), "electrolyte": (1.0, 2.5), "small": (2.5, 3.0)}
    return strip_domain(n, regions, {"interface:big/electrolyte": 1.0, "interface:electrolyte/small": 2.5})


@pytest.mark.parametrize("distribution, rates", [("area", (0.75, 1.5)), ("volume", (1.0, 1.0))])
def test_current_distribution_between_particles(distribution, rates):
    """Particles of volume 1 and 0.5 with equal interface areas: one flux density (area) lithiates
    the small one twice as fast as the big one; per volume both follow the protocol."""
    domain = three_region_domain(6)
    regions, surfaces = ["big", "small"], ["interface:big/electrolyte", "interface:electrolyte/small"]
    transport = ParticleDiffusion(
        domain,
        regions,
        surfaces,
        diffusivity=1e-3,
        max_concentration=1.0,
        partial_molar_volume=1e-6,
        stress_assisted=False,
        temperature=TEMPERATURE,
        initial_lithiation=0.0,
        groups=current_groups(distribution, regions, surfaces),
    )
    dx = ufl.Measure("dx", domain=domain.mesh, subdomain_data=domain.cell_tags)
    content = {name: dolfinx.fem.form(transport.c * dx(domain.regions[name])) for name in regions}
    rate, dt = 1.0, 360.0
    transport.begin_step(SimpleNamespace(time=dt, c_rate=rate), dt)
    assert transport.solve().converged
    for name, share, volume in zip(regions, rates, (1.0, 0.5), strict=True):
        mean = domain.mesh.comm.allreduce(dolfinx.fem.assemble_scalar(content[name])) / volume
        assert mean == pytest.approx(share * rate * dt / 3600, rel=1e-8), name
