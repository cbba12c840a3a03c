"""Verification: compaction of a pressed sulfide powder (cap plasticity, Heckel hardening).

A single layer in a rigid die (oedometer) is loaded by the plunger pressure
P, unloaded and reloaded, through the real model (MechanicsModel with the
quadrature-point history, SNES with the return-mapping hooks). The state is
homogeneous, F = diag(1, 1, s), so σ_zz = −P exactly and the model reduces
to ordinary differential equations in the plastic log strains εp, which are
integrated here independently (RK4 on the continuum rate equations, written
from the model's definition — not the package's return mapping):

    e = (0, 0, ln s) − εp,   σ_i = [μ (exp 2e_i − 1) + λ Σe] / exp Σe,
    f = q²/M² + (p + p_t)(p − p_c(φ)),   φ = 1 − (1 − φ₀) / exp Σεp,
    p_c = c [(ln 1/φ − A)/k + p_t] − p_t,   dεp = dλ ∂f/∂σ,   df = 0.

Checks: the loading branch follows the reference (backward Euler in the
load steps: first order, a few 1e-3); the consistency condition f = 0 holds
on every plastic step to solver tolerance; unloading is exactly elastic
with the permanent compaction (closed-form neo-Hookean stress with the
frozen plastic stretch); reloading resumes on the cap; the Newton residuals
of plastic steps converge quadratically (and do not when the algorithmic
tangent is withheld, which shows the check can fail); the die-compaction
curve reproduces Heckel's law on the axial pressure, the calibration of
the cap against the measured curve of materials.csv.
"""

import math

import numpy as np
import pytest

from chemomech.case import load_case_text
from chemomech.dolfinx_compat import MPI
from chemomech.materials.inelastic import CompactionLaw, compaction_curve, compaction_defaults, heckel_fit
from chemomech.materials.library import default_library
from chemomech.physics.inelastic.compaction import CompactionReturn
from chemomech.physics.inelastic.principal import tangent
from chemomech.solve.newton import NewtonSolver
from chemomech.solve.simulation import build_simulation

E, NU = 22e9, 0.37
MU, LMBDA = E / (2 * (1 + NU)), E * NU / ((1 + NU) * (1 - 2 * NU))
PHI0, M, PT = 0.30, 1.2, 1e6
K_H, A_H = (compaction_defaults()[key][0] for key in ("heckel_slope", "heckel_intercept"))
HEIGHT = 100e-6
LOADING = [20e6 * i for i in range(1, 11)]  # to 200 MPa: the cap is reached near 124 MPa
UNLOADING = [150e6, 100e6, 50e6]
RELOADING = [220e6]


def die_case(kind: str, porosity: float = PHI0) -> str:
    return f"""
geometry:
  type: stack
  dimension: {kind}
  diameter: 400 um
  mesh_size: 100 um
  layers: [{{name: powder, material: powder, thickness: {HEIGHT * 1e6} um}}]
materials:
  powder:
    youngs_modulus: {E / 1e9} GPa
    poisson_ratio: {NU}
    compaction: {{initial_porosity: {porosity}, critical_state_slope: {M}, tensile_strength: {PT / 1e6} MPa}}
fixture: {{type: pressure}}
outputs: {{fields: false}}
solver: {{newton_rtol: 1.0e-12, newton_atol: 1.0e-14, linear_solver: mumps}}
"""


class Die:
    """The real model of the die, driven by the plunger pressure step by step."""

    def __init__(self, kind: str, porosity: float = PHI0, consistent: bool = True):
        case = load_case_text(die_case(kind, porosity))
        self.sim = sim = build_simulation(case, MPI.COMM_WORLD)
        model = sim.model
        self.state = model.inelastic
        if not consistent:  # the tangent of an elastic step: dCp⁻¹/dF = 0
            self.state.before_jacobian = self.state.before_residual
        self.solver = NewtonSolver(
            sim.support.residual,
            model.u,
            sim.support.fixed_bcs,
            case.solver,
            prefix=f"die_{kind}_{int(consistent)}_",
            force_scale=model.force_scale(E),
            hooks=model.step_states,
        )
        self.comm = sim.domain.mesh.comm
        self.floor = self.solver.problem.solver.getTolerances()[1]  # SNES atol, near round-off here

    def load(self, pressure: float):
        """One step to plunger pressure P; returns (stats, lateral stress, porosity, axial stretch)."""
        self.sim.support.pressure.value = pressure
        self.state.begin_step(0.0)
        stats = self.solver.solve()
        self.state.commit()
        self.sim.stresses.update()
        hydrostatic = self.sim.stresses.region_statistics()["powder"]["hydrostatic_mean"]
        self.sim.history.update()
        porosity = self.sim.history.region_statistics()["powder"]["porosity_mean"]
        _, dilatometer = self.sim.sensors
        return stats, (3 * hydrostatic + pressure) / 2, porosity, 1 + dilatometer.displacement() / HEIGHT

    def plastic_stretches(self) -> tuple[float, float]:
        """(lateral, axial) plastic stretches from Cp⁻¹ = diag(a⁻², a⁻², c⁻²) at the points."""
        values = self.state.Cp_inv_n.x.array.reshape(-1, 3, 3)
        local = values[0].diagonal() if len(values) else np.zeros(3)
        diagonal = [self.comm.allreduce(float(x), op=MPI.MAX) for x in local]  # every point holds the same state
        axial = self.sim.model.axial  # the stack axis in the model's 3×3 basis
        return diagonal[0] ** -0.5, diagonal[axial] ** -0.5


# -- independent reference -------------------------------------------------


def die_factor() -> float:
    eta = (math.sqrt(9 + 4 * M**2) - 3) / 2
    return (1 + eta**2 / M**2) / (1 + 2 * eta / 3)


def principal_stress(e: np.ndarray) -> np.ndarray:
    theta = e.sum()
    return (MU * np.expm1(2 * e) + LMBDA * theta) / math.exp(theta)


def cap(stretch: float, plastic: np.ndarray, phi0: float = PHI0):
    """(f, ∂f/∂σ) of the die state with axial stretch s and plastic log strains εp."""
    sigma = principal_stress(np.array([0.0, 0.0, math.log(stretch)]) - plastic)
    p = -sigma.mean()
    dev = sigma + p
    phi = 1 - (1 - phi0) / math.exp(plastic.sum())
    pc = die_factor() * ((-math.log(phi) - A_H) / K_H + PT) - PT
    f = 1.5 * dev @ dev / M**2 + (p + PT) * (p - pc)
    return f, 3 * dev / M**2 - (2 * p + PT - pc) / 3


def reference_loading(phi0: float = PHI0, pressure_max: float = 230e6, steps: int = 1200):
    """Continuum die compaction: axial stress, lateral stress and porosity along the path (RK4 in s)."""
    lo, hi = 0.9, 1.0  # onset of yield, elastic until f = 0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if cap(mid, np.zeros(3), phi0)[0] > 0 else (lo, mid)
    stretch, plastic = hi, np.zeros(3)

    def rate(s, ep):  # dεp/ds from the consistency condition, derivatives by central differences
        n = cap(s, ep, phi0)[1]
        n /= np.linalg.norm(n)
        h = 1e-7
        f_s = (cap(s + h, ep, phi0)[0] - cap(s - h, ep, phi0)[0]) / (2 * h)
        f_n = (cap(s, ep + h * n, phi0)[0] - cap(s, ep - h * n, phi0)[0]) / (2 * h)
        return -f_s / f_n * n

    path = []
    ds = -0.3 / steps
    while True:
        sigma = principal_stress(np.array([0.0, 0.0, math.log(stretch)]) - plastic)
        path.append((-sigma[2], sigma[0], 1 - (1 - phi0) / math.exp(plastic.sum())))
        if -sigma[2] > pressure_max:
            return np.array(path).T
        k1 = rate(stretch, plastic)
        k2 = rate(stretch + ds / 2, plastic + ds / 2 * k1)
        k3 = rate(stretch + ds / 2, plastic + ds / 2 * k2)
        k4 = rate(stretch + ds, plastic + ds * k3)
        plastic = plastic + ds / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        stretch += ds


def elastic_die_stress(stretch: float, lateral: float, axial: float) -> np.ndarray:
    """Closed form with frozen plastic stretches: Fe = diag(1/a, 1/a, s/c) → (σ_lat, σ_lat, σ_zz)."""
    return principal_stress(np.log([1 / lateral, 1 / lateral, stretch / axial]))


def cap_value(axial: float, lateral: float, porosity: float) -> float:
    """f / (p_c + p_t)² at a die state with stresses σ_zz, σ_lat (signed) and porosity φ."""
    p = -(axial + 2 * lateral) / 3
    q = lateral - axial
    pc = die_factor() * ((-math.log(porosity) - A_H) / K_H + PT) - PT
    return (q**2 / M**2 + (p + PT) * (p - pc)) / (pc + PT) ** 2


def quadratic(norms, floor: float) -> bool:
    """Asymptotically quadratic: r_k+1 ≤ r_k² / r_0 wherever r_k ≤ 0.2 r_0 and r_k+1 is above the floor."""
    r0 = norms[0]
    pairs = [(a, b) for a, b in zip(norms, norms[1:]) if a <= 0.2 * r0 and b > floor]
    return len(norms) <= 8 and all(b <= a**2 / r0 for a, b in pairs)


REFERENCE = reference_loading()

# -- tests -------------------------------------------------------------------


def test_heckel_fit_of_the_library_compaction_curve():
    """k, A from the Li2S-P2S5 glass curve of materials.csv (Sakuda et al. 2013)."""
    curve = default_library().get("Li2S-P2S5_glass_75-25")["relative_density_vs_pressing"]
    pressures, porosities = compaction_curve(curve)
    assert pressures[0] == pytest.approx(74e6) and porosities[0] == pytest.approx(0.39)
    k, A, r2 = heckel_fit(pressures, porosities)
    assert (k, A) == (pytest.approx(4.760e-9, rel=1e-3), pytest.approx(0.6128, rel=1e-3))
    assert r2 > 0.998
    fitted = np.exp(-(k * pressures + A))
    assert np.max(np.abs(fitted - porosities)) < 0.01  # relative density within 1 point
    slope, source = compaction_defaults()["heckel_slope"]
    assert slope == k and "Sakuda" in source


@pytest.mark.parametrize("kind", ["axisymmetric", "plane_strain"])
def test_oedometric_loading_unloading_reloading(kind):
    die = Die(kind)
    axial, lateral, porosity = REFERENCE
    onset = axial[0]
    assert 120e6 < onset < 130e6  # the cap of φ₀ = 0.3 under die compaction
    plastic = []
    for pressure in LOADING:
        stats, sigma_lat, phi, _ = die.load(pressure)
        assert stats.converged
        if pressure < onset:
            assert phi == pytest.approx(PHI0, abs=1e-12)
            continue
        # Backward Euler in the load steps against the continuum response: the
        # step across the onset of yield carries most of the error.
        error = sigma_lat / np.interp(pressure, axial, lateral) - 1
        assert abs(error) < (1e-2 if not plastic else 5e-4)
        assert phi == pytest.approx(np.interp(pressure, axial, porosity), abs=2e-5 if plastic else 2e-4)
        # The converged state lies on the cap to solver tolerance.
        assert abs(cap_value(-pressure, sigma_lat, phi)) < 1e-9
        assert quadratic(stats.residual_norms, die.floor), stats.residual_norms
        plastic.append(error)
    assert len(plastic) == 4

    lateral_stretch, axial_stretch = die.plastic_stretches()
    compacted = phi
    assert 1 - (1 - PHI0) / (lateral_stretch**2 * axial_stretch) == pytest.approx(compacted, abs=1e-12)
    for pressure in UNLOADING:  # elastic, with the permanent compaction
        stats, sigma_lat, phi, stretch = die.load(pressure)
        assert phi == pytest.approx(compacted, abs=1e-12)
        expected = elastic_die_stress(stretch, lateral_stretch, axial_stretch)
        assert expected[2] == pytest.approx(-pressure, rel=1e-9)
        assert sigma_lat == pytest.approx(expected[0], rel=1e-9)
        assert stats.newton_iterations <= 4

    for pressure in RELOADING:  # elastic back to the cap, then compaction resumes on the same curve
        stats, sigma_lat, phi, _ = die.load(pressure)
        assert sigma_lat == pytest.approx(np.interp(pressure, axial, lateral), rel=5e-4)
        assert phi == pytest.approx(np.interp(pressure, axial, porosity), abs=2e-5)
        assert phi < compacted


def test_load_step_convergence_is_first_order():
    """Halving the load steps halves the error at 200 MPa (backward Euler)."""
    axial, lateral, _ = REFERENCE
    errors = []
    for step in (20e6, 10e6):
        die = Die("axisymmetric")
        for pressure in np.arange(step, 200e6 + 1, step):
            _, sigma_lat, _, _ = die.load(pressure)
        errors.append(abs(sigma_lat / np.interp(200e6, axial, lateral) - 1))
    assert 1.5 < errors[0] / errors[1] < 2.5, errors


def test_newton_needs_the_algorithmic_tangent():
    """Without dCp⁻¹/dF in the Jacobian the plastic steps are not quadratic (the check above can fail)."""
    die = Die("axisymmetric", consistent=False)
    stats = [die.load(pressure)[0] for pressure in LOADING[:7]][-1]  # 140 MPa: on the cap
    assert not (stats.converged and quadratic(stats.residual_norms, die.floor))
    assert stats.newton_iterations > 10


def test_die_compaction_reproduces_heckel_law_on_the_axial_pressure():
    """The cap calibration: from loose powder to 500 MPa the porosity follows ln(1/φ) = k P + A."""
    die = Die("axisymmetric", porosity=0.45)
    curve = default_library().get("Li2S-P2S5_glass_75-25")["relative_density_vs_pressing"]
    measured_pressures, measured = compaction_curve(curve)
    pressures = np.linspace(25e6, 500e6, 20)
    porosities = []
    for pressure in pressures:
        stats, _, phi, _ = die.load(pressure)
        assert stats.converged
        porosities.append(phi)
    compacting = pressures > 50e6  # the cap of φ₀ = 0.45 is near 39 MPa
    heckel = np.exp(-(K_H * pressures + A_H))
    assert np.max(np.abs(np.array(porosities) - heckel)[compacting]) < 2e-3
    assert np.max(np.abs(np.interp(measured_pressures, pressures, porosities) - measured)) < 0.012


def test_compaction_tangent_matches_finite_differences():
    """The analytic dCp⁻¹/dF of the cap return mapping against central differences of the full update."""
    law = CompactionLaw(PHI0, K_H, A_H, M, PT)
    compaction = CompactionReturn(law)
    F = np.array([[0.995, 0.004, 0.0], [-0.002, 0.97, 0.0], [0.0, 0.0, 0.996]])[None]
    Fg, Cp = np.diag([1.01, 1.01, 1.01])[None], np.diag([1.0, 1.02, 1.0])[None]
    args = (np.array([MU]), np.array([LMBDA]))
    result = compaction.update(F, Fg, Cp, *args)
    assert result.active[0]
    analytic = tangent(F, Fg, Cp, result)
    h = 1e-8
    numeric = np.zeros_like(analytic)
    for k in range(3):
        for l in range(3):
            dF = np.zeros((3, 3))
            dF[k, l] = h
            plus, minus = (compaction.update(F + sign * dF, Fg, Cp, *args).Cp_inv for sign in (1, -1))
            numeric[..., k, l] = (plus - minus) / (2 * h)
    assert np.max(np.abs(analytic - numeric)) < 1e-6 * np.max(np.abs(analytic))


def test_materials_command_lists_the_inelastic_parameters(capsys):
    from chemomech.cli import main

    assert main(["materials", "--csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("Li_metal,creep_reference_stress,0.4,MPa,Masias") for line in lines)
    assert any(line.startswith("sulfide_powder,heckel_slope,0.00476,1/MPa,") for line in lines)
