"""Verification: electrode-scale transport with Butler–Volmer kinetics (physics.md 4.3, 10i).

- Manufactured solutions for φ_s, φ_e and ξ through a cathode and separator
  with different conductivities (flux-continuous φ_e), nonlinear cathode and
  anode kinetics, galvanostatic and potentiostatic: P1 potentials converge at
  second order in L2; backward Euler at first order in time.
- Very high conductivities: the lithiation stays uniform and the cell voltage
  is U(ξ) + η_c(−I/(a L)) − η_a(I), the Butler–Volmer overpotentials of the
  uniform reaction and the anode, to 2e-6 V (twice the ohmic bound I L / κ;
  the overpotentials are 0.1 V).
- Charge conservation: the charge passed (anode current × Δt, summed) equals
  the change of stored charge ∫ Q (ξ − ξ₀) to 1e-8, galvanostatic and
  potentiostatic, also with strongly non-uniform lithiation.
All run under mpiexec -n 2 on a distributed interval mesh.
"""

import math

import numpy as np
import pytest
import ufl

from chemomech.dolfinx_compat import MPI, PETSc, dolfinx
from chemomech.physics.transport.effective import effective_conductivity
from chemomech.physics.transport.electrode import (
    COLLECTOR,
    ElectrodeParameters,
    ElectrodeTransport,
    Sources,
    through_thickness_mesh,
)
from chemomech.physics.transport.kinetics import ButlerVolmer, thermal_factor
from chemomech.physics.transport.ocv import EquilibriumCurve, default_curve

COMM = MPI.COMM_WORLD
L_C, L_S = 100e-6, 50e-6
LENGTH = L_C + L_S
CAPACITY = 0.2 * 2070.0 * 6.0192e6  # C/m³: 20 vol% sulfur
AREA = 3 * 0.2 / 1e-6  # 1/m: 1 µm particles
ONE_C = CAPACITY * L_C / 3600.0  # A/m²


def parameters(kappa_c=0.05, kappa_s=0.2, sigma=5.0, curve=None, i0=1.0, i0_anode=20.0) -> ElectrodeParameters:
    return ElectrodeParameters(
        cathode_ionic_conductivity=kappa_c,
        separator_ionic_conductivity=kappa_s,
        electronic_conductivity=sigma,
        specific_area=AREA,
        capacity_density=CAPACITY,
        cathode_kinetics=ButlerVolmer(i0, 0.4, 0.6),
        anode_kinetics=ButlerVolmer(i0_anode),
        equilibrium=curve or default_curve("indium"),
    )


# --- closed forms of the pieces ---------------------------------------------


def test_bruggeman_and_given_tortuosity():
    assert effective_conductivity(0.3, 0.4) == pytest.approx(0.3 * 0.4**1.5, rel=1e-14)
    assert effective_conductivity(0.3, 0.4, tortuosity=30.0) == pytest.approx(0.3 * 0.4 / 30.0, rel=1e-14)
    with pytest.raises(ValueError, match="volume fraction"):
        effective_conductivity(0.3, 0.0)


@pytest.mark.parametrize("alphas", [(0.5, 0.5), (0.3, 0.7)])
def test_butler_volmer_inverse(alphas):
    kinetics = ButlerVolmer(2.0, *alphas)
    for current in (-300.0, -1.0, 0.0, 0.5, 40.0):
        assert kinetics.current(kinetics.overpotential(current)) == pytest.approx(current, rel=1e-10, abs=1e-12)
    # Tafel limit: η → ln(i/i₀) / (α_a f) for large anodic currents
    f = 96485.33212 / (8.314462618 * 298.15)
    assert kinetics.overpotential(1e6) == pytest.approx(math.log(1e6 / 2.0) / (alphas[0] * f), rel=1e-6)


def test_equilibrium_curve_interpolates_and_extrapolates():
    curve = default_curve("Li_metal")
    xi = np.linspace(0.0, 1.0, 1001)
    assert np.allclose(curve(xi), np.interp(xi, curve.xi, curve.potential), atol=1e-13, rtol=0)
    slope = (curve.potential[-1] - curve.potential[-2]) / (curve.xi[-1] - curve.xi[-2])
    assert curve(1.1) == pytest.approx(curve.potential[-1] + 0.1 * slope, rel=1e-13)
    indium = default_curve("indium")
    assert np.allclose(indium(xi), curve(xi) - 0.62, atol=1e-13, rtol=0)
    assert curve(0.1) == pytest.approx(2.3, abs=0.05) and curve(0.6) == pytest.approx(2.1, abs=0.05)
    with pytest.raises(ValueError, match="strictly increasing"):
        EquilibriumCurve((0.0, 0.0), (1.0, 2.0))


# --- manufactured solutions -------------------------------------------------

LINEAR_CURVE = EquilibriumCurve((0.0, 1.0), (1.5, 1.3))  # smooth: no kink inside the solution's range


class Manufactured:
    """Exact φ_s, φ_e (flux-continuous across the layers) and ξ with their sources."""

    def __init__(self, mesh, params: ElectrodeParameters, time, xi_of):
        x = ufl.SpatialCoordinate(mesh)[0]
        self.params = params
        p = params
        time = ufl.variable(time)
        cathode = ufl.conditional(ufl.lt(x, L_C), 1.0, 0.0)
        k = math.pi / LENGTH
        self.phi_s = 1.46 + 0.01 * ufl.cos(k * x) + 0.002 * time / 3600.0
        # κ φ_e' = 2e-3 sin(k x): continuous across the layers, zero on the (insulated) collector
        flux_integral = 2e-3 * (1.0 - ufl.cos(k * x)) / k
        at_interface = 2e-3 * (1.0 - math.cos(k * L_C)) / k
        self.phi_e = -0.02 + ufl.conditional(
            ufl.lt(x, L_C),
            flux_integral / p.cathode_ionic_conductivity,
            at_interface / p.cathode_ionic_conductivity + (flux_integral - at_interface) / p.separator_ionic_conductivity,
        )
        self.xi = xi_of(x, time)
        eta = self.phi_s - self.phi_e - p.equilibrium(self.xi, max_value=ufl.max_value)
        reaction = p.cathode_kinetics.current(eta, exp=ufl.exp)
        kappa = ufl.conditional(ufl.lt(x, L_C), p.cathode_ionic_conductivity, p.separator_ionic_conductivity)
        self.dxi_dt = ufl.diff(self.xi, time)
        self.sources = Sources(
            solid=-ufl.div(p.electronic_conductivity * ufl.grad(self.phi_s)) + cathode * p.specific_area * reaction,
            electrolyte=-ufl.div(kappa * ufl.grad(self.phi_e)) - cathode * p.specific_area * reaction,
            storage=None,  # set per step: Q ξ_t + a i_n (exact ξ_t, not its difference quotient)
            collector=None,
            anode=None,
        )
        # σ ∂φ_s/∂n at x = 0 (n = −x): −σ φ_s'(0); κ ∂φ_e/∂n at x = L (n = +x)
        self.collector_flux = -p.electronic_conductivity * ufl.grad(self.phi_s)[0]
        self.anode_flux = p.separator_ionic_conductivity * ufl.grad(self.phi_e)[0]
        self.anode_current = p.anode_kinetics.current(-self.phi_e, exp=ufl.exp)
        self.reaction = reaction


def manufactured_run(cells: int, steps: int, mode: str, xi_of, end_time: float = 3600.0):
    """Run the manufactured problem; L2 errors of φ_s, φ_e (domain) and ξ (cathode) at the end."""
    mesh, cell_tags, facet_tags = through_thickness_mesh(COMM, L_C, L_S, 2 * cells, cells)
    params = parameters(curve=LINEAR_CURVE)
    time = dolfinx.fem.Constant(mesh, PETSc.ScalarType(0.0))
    exact = Manufactured(mesh, params, time, xi_of)
    current = 0.5 * ONE_C
    sources = Sources(
        solid=exact.sources.solid,
        electrolyte=exact.sources.electrolyte,
        storage=params.capacity_density * exact.dxi_dt + params.specific_area * exact.reaction,
        collector=exact.collector_flux + current,
        anode=exact.anode_flux - exact.anode_current,
    )
    transport = ElectrodeTransport(
        mesh, cell_tags, facet_tags, params, 0.0, sources=sources, quadrature_degree=6,
        prefix=f"mms_{mode}_{cells}_{steps}_", current_scale=ONE_C,
    )
    xi_initial = dolfinx.fem.Function(transport.xi_space)
    xi_initial.interpolate(dolfinx.fem.Expression(exact.xi, transport.xi_space.element.interpolation_points))
    transport.committed.x.array[transport.xi_dofs] = xi_initial.x.array
    transport.state.x.array[:] = transport.committed.x.array
    dt = end_time / steps
    for step in range(1, steps + 1):
        time.value = step * dt
        if mode == "galvanostatic":
            transport.begin_step(dt, current=current)
        else:
            voltage = dolfinx.fem.form(exact.phi_s * transport.ds(COLLECTOR))
            value = COMM.allreduce(dolfinx.fem.assemble_scalar(voltage), op=MPI.SUM)
            transport.begin_step(dt, voltage=value)
        converged, _ = transport.solve()
        assert converged
        transport.commit()
    phi_s, phi_e, xi = ufl.split(transport.state)
    dx = ufl.Measure("dx", domain=mesh, subdomain_data=cell_tags, metadata={"quadrature_degree": 8})

    def l2(expression, measure):
        value = dolfinx.fem.assemble_scalar(dolfinx.fem.form(expression**2 * measure))
        return math.sqrt(COMM.allreduce(value, op=MPI.SUM))

    return l2(phi_s - exact.phi_s, dx), l2(phi_e - exact.phi_e, dx), l2(xi - exact.xi, dx(1))


def rates(errors):
    return [math.log2(a / b) for a, b in zip(errors, errors[1:])]


def xi_linear_in_time(x, t):
    """Backward Euler is exact for ξ linear in t: the error is spatial only."""
    return 0.3 + 0.2 * (x / L_C) ** 2 + 0.1 * t / 3600.0


@pytest.mark.parametrize("mode", ["galvanostatic", "potentiostatic"])
def test_manufactured_potentials_converge_at_second_order(mode):
    errors = [manufactured_run(cells, 1, mode, xi_linear_in_time) for cells in (4, 8, 16, 32)]
    phi_s, phi_e, xi = (rates([e[i] for e in errors]) for i in range(3))
    assert min(phi_s) > 1.9 and min(phi_e) > 1.9, (errors, phi_s, phi_e)
    assert min(xi) > 0.9, (errors, xi)  # DG0


def xi_sine_in_time(x, t):
    """Uniform in space, curved in time: the ξ error is that of backward Euler."""
    return 0.3 + 0.2 * ufl.sin(0.5 * math.pi * t / 3600.0) + 0.0 * x


def test_manufactured_backward_euler_first_order_in_time():
    errors = [manufactured_run(32, steps, "galvanostatic", xi_sine_in_time)[2] for steps in (2, 4, 8, 16)]
    orders = rates(errors)
    assert all(0.9 < r < 1.15 for r in orders), (errors, orders)


# --- physical limits and conservation ---------------------------------------


def discharge(params, *, steps=10, dt=36.0, current=None, voltage=None, cells=40):
    """Run constant-current or constant-voltage steps; record (V, I, ξ range, stored, passed)."""
    mesh, cell_tags, facet_tags = through_thickness_mesh(COMM, L_C, L_S, cells, cells // 2)
    name = "gal" if current is not None else "pot"
    transport = ElectrodeTransport(
        mesh, cell_tags, facet_tags, params, 0.0, prefix=f"limit_{name}_{cells}_", current_scale=ONE_C
    )
    guess = current if current is not None else ONE_C
    transport.set_uniform(0.0, params.uniform_voltage(0.0, guess, L_C), -params.anode_kinetics.overpotential(guess))
    passed, history = 0.0, []
    for _ in range(steps):
        transport.begin_step(dt, current=current, voltage=voltage)
        converged, _ = transport.solve()
        assert converged
        transport.commit()
        passed += transport.cell_current() * dt
        history.append((transport.cell_voltage(), transport.cell_current(), transport.lithiation_range(),
                        transport.stored_charge(0.0), passed))
    return transport, history


def test_high_conductivity_voltage_is_equilibrium_minus_butler_volmer():
    conductivity = 1e4  # S/m: ohmic drop below I L / κ = 1e-6 V
    params = parameters(kappa_c=conductivity, kappa_s=conductivity, sigma=conductivity)
    transport, history = discharge(params, current=ONE_C, steps=5, dt=144.0)
    ohmic = ONE_C * LENGTH / conductivity
    for voltage, current, (low, mean, high), stored, passed in history:
        assert high - low < 2 * thermal_factor(298.15) * ohmic * mean  # i_n varies as f × the ohmic drop
        assert current == pytest.approx(ONE_C, rel=1e-8)
        expected = params.uniform_voltage(mean, ONE_C, L_C)
        assert voltage == pytest.approx(expected, abs=2 * ohmic)
        assert stored == pytest.approx(passed, rel=1e-8)
    # the kinetic overpotentials are not negligible here (the check has teeth)
    mean = history[-1][2][1]
    assert float(params.equilibrium(mean)) - history[-1][0] > 0.05
    assert transport.anode_overpotential_value() == pytest.approx(params.anode_kinetics.overpotential(ONE_C), abs=1e-12)
    assert mean == pytest.approx(5 * 144.0 / 3600.0, rel=1e-8)


@pytest.mark.parametrize("mode", ["galvanostatic", "potentiostatic"])
def test_charge_is_conserved_with_a_lithiation_front(mode):
    params = parameters(kappa_c=0.02)  # low ionic conductivity: reaction near the separator
    if mode == "galvanostatic":
        _, history = discharge(params, current=ONE_C, steps=8, dt=90.0)
    else:
        _, history = discharge(params, voltage=1.2, steps=8, dt=90.0)
    for _, current, _, stored, passed in history:
        assert current > 0.0
        assert abs(stored - passed) <= 1e-8 * abs(stored)
    low, mean, high = history[-1][2]
    assert high - low > 0.5 * mean  # strongly non-uniform: the check is not of a uniform state
