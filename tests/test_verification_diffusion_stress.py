"""Verification: diffusion-induced stress in a free sphere (physics.md 10e).

A sphere of radius R filled galvanostatically through its surface, small
strain, one-way coupling (stress_assisted: false) and a small swelling
(β = 1e-3, so ε* = g − 1 = Ω c / 3 to 3e-4): the radial and hoop stresses
must match Cheng & Verbrugge's integrals of the concentration, with c(r, t)
from Crank's series, at an intermediate time (τ = D t / R² = 0.05) and at a
long time (τ = 0.5, where the profile is parabolic and σ_rr = σ*(1 − x²),
σ_θθ = σ*(1 − 2x²), σ* = E Ω J R / (15 (1 − ν) D)).

Two-way coupling (stress_assisted: true) with a stiff, strongly swelling
particle: Li drifts towards the tensile centre, so the surface concentration
stays lower and the centre's higher than in one-way coupling, and the change
in surface concentration converges under time-step refinement.
"""

import math

import numpy as np
import ufl
from closed_forms import sphere_diffusion_stresses, sphere_galvanostatic_concentration
from simulate import cell_values

from chemomech.case import load_case_text
from chemomech.dolfinx_compat import MPI
from chemomech.solve.simulation import build_simulation

R = 5e-6
D = 1e-14
E, NU = 10e9, 0.3
BETA = 1e-3


SMALL_SWELLING = f"{{youngs_modulus: {E / 1e9} GPa, poisson_ratio: {NU}, active_fraction: 1.0, swelling: {{beta: {BETA}}}}}"


def sphere_case(
    mesh_fraction: float, xi_step: float, *, until_xi: float, stress_assisted: bool = False, material=SMALL_SWELLING
) -> str:
    return f"""
geometry:
  type: particle
  dimension: axisymmetric
  radius: {R * 1e6} um
  material: particle
  mesh_size: {R * mesh_fraction * 1e6} um
materials:
  particle: {material}
mechanics: {{kinematics: small_strain}}
lithiation:
  model: diffusion
  protocol: [{{step: discharge, rate: 1 C, until_xi: {until_xi}}}]
  diffusion: {{diffusivity: {D} m2/s, stress_assisted: {str(stress_assisted).lower()}}}
outputs: {{fields: false}}
solver: {{max_xi_step: {xi_step}, newton_rtol: 1.0e-12, coupling: {{tolerance: 1.0e-8}}}}
"""


def stress_errors(sim, transport) -> dict[str, float]:
    """Errors of σ_rr and σ_θθ at the current time, relative to σ*: in L2 over the sphere
    (cell midpoints, weighted by the cell volumes) and at the peaks (σ_rr at the centre,
    σ_θθ at the surface: the extreme values over the cells)."""
    mesh = sim.domain.mesh
    comm = mesh.comm
    x = ufl.SpatialCoordinate(mesh)
    rho = ufl.sqrt(x[0] ** 2 + x[1] ** 2)
    n = ufl.as_vector([x[0] / rho, x[1] / rho, 0])  # the 3×3 basis is (r, z, θ)
    sigma = sim.model.cauchy_stress()
    radial = cell_values(sim, ufl.dot(n, sigma * n))
    hoop = cell_values(sim, sigma[2, 2])
    where = cell_values(sim, rho) / R
    volume = cell_values(sim, x[0] * ufl.CellVolume(mesh))  # ∝ the axisymmetric cell volume 2π r |K|
    J = transport.fluxes[0].value
    tau = D * sim.stepper.state.time / R**2
    omega = BETA / transport.max_concentration
    exact_rr, exact_tt = sphere_diffusion_stresses(
        where, lambda s: J * R / D * sphere_galvanostatic_concentration(s, tau), E, NU, omega
    )
    sigma_star = E * omega * J * R / (15 * (1 - NU) * D)

    def l2(values):
        total = comm.allreduce(float(np.sum(volume)), op=MPI.SUM)
        return math.sqrt(comm.allreduce(float(np.sum(volume * values**2)), op=MPI.SUM) / total)

    def extreme(values, op):
        local = op(values) if values.size else (-np.inf if op is np.max else np.inf)
        return comm.allreduce(float(local), op=MPI.MAX if op is np.max else MPI.MIN)

    return {
        "rr_l2": l2(radial - exact_rr) / sigma_star,
        "tt_l2": l2(hoop - exact_tt) / sigma_star,
        "rr_peak": abs(extreme(radial, np.max) - extreme(exact_rr, np.max)) / sigma_star,
        "tt_peak": abs(extreme(hoop, np.min) - extreme(exact_tt, np.min)) / sigma_star,
    }


def test_one_way_stresses_match_cheng_verbrugge():
    t_mid, t_long = 0.05 * R**2 / D, 0.5 * R**2 / D
    text = sphere_case(1 / 16, t_mid / 3600 / 10, until_xi=t_long / 3600)
    sim = build_simulation(load_case_text(text), MPI.COMM_WORLD)
    (transport,) = sim.coupled
    checked = []
    for state, _ in sim.run_schedule():
        if math.isclose(state.time, t_mid, rel_tol=1e-6) or math.isclose(state.time, t_long, rel_tol=1e-6):
            checked.append((state.time, stress_errors(sim, transport)))
    sim.stepper.close()
    assert len(checked) == 2
    for _, errors in checked:  # measured: at most 1.7 % (σ_rr in L2 at τ = 0.05), 0.1-1 % otherwise
        assert max(errors.values()) < 0.02, checked


SULFUR_LIKE = "{youngs_modulus: 20 GPa, poisson_ratio: 0.3, active_fraction: 1.0, swelling: {beta: 0.787}}"
"""A particle whose swelling is that of S -> Li2S: Ω = 6.1 cm³/mol, θ = κ Ω c_max / RT ≈ 25
(κ = 2ΩE / (9(1 − ν))), so the stress term matters once ξ ≳ 1/θ."""


def surface_and_centre(stress_assisted: bool, steps: int) -> tuple[float, float]:
    """(ξ at the surface, ξ at the centre) after τ = 0.1 at 1C in ``steps`` equal steps."""
    end = 0.1 * R**2 / D
    text = sphere_case(
        1 / 10, end / 3600 / steps, until_xi=end / 3600, stress_assisted=stress_assisted, material=SULFUR_LIKE
    )
    sim = build_simulation(load_case_text(text), MPI.COMM_WORLD)
    for _ in sim.run_schedule():
        pass
    low, high = sim.coupled[0].lithiation_range()  # insertion: lowest at the centre, highest at the surface
    sim.stepper.close()
    return high, low


def test_stress_assisted_diffusion_flattens_the_gradient_and_converges_in_time():
    changes = []
    for steps in (5, 10, 20):
        surface_one, centre_one = surface_and_centre(False, steps)
        surface_two, centre_two = surface_and_centre(True, steps)
        assert surface_two < surface_one and centre_two > centre_one  # Li drifts towards the tensile centre
        # D_eff ≈ D (1 + θ ξ): the spread falls to 0.74 of the one-way one here
        assert surface_two - centre_two < 0.85 * (surface_one - centre_one)
        changes.append(surface_two - surface_one)
    differences = [abs(a - b) for a, b in zip(changes, changes[1:])]
    assert differences[1] < 0.6 * differences[0], (changes, differences)  # first order: about half
    assert differences[1] < 0.02 * abs(changes[-1]), (changes, differences)
