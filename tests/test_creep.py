"""Verification: power-law creep of Li metal (ε̇ = ε̇₀ (σ_eq/σ₀)^m, yield σ_y).

A Li block (library parameters: 1.4e-5 1/s, 0.4 MPa, m = 6.56, 0.8 MPa)
runs through the real case → model → stepper path:

* uniaxial creep under a constant plunger load (free lateral faces): every
  backward-Euler step adds exactly Δγ = Δt ε̇(σ) at the step's Cauchy stress,
  and the accumulated creep strain follows the closed form of the dead load
  (the Cauchy stress σ = P λ / Je rises slowly as the block shortens,
  λ = exp ε): ε_p(t) = ln(1 + m a t) / m, a = ε̇(σ(0)) — first order in Δt;
* relaxation at a fixed plunger (constant axial strain, free lateral faces):
  dσ/dt = −E ε̇₀ (σ/σ₀)^m, σ(t) = σ₀ [(σᵢ/σ₀)^(1−m) + (m−1) E ε̇₀ t / σ₀]^(1/(1−m)),
  first order in Δt;
* the instantaneous preload in a die (Δt = 0) is bounded by the yield
  stress: σ_lat − σ_zz = σ_y.
"""

import dataclasses
import math

import numpy as np
import pytest

from chemomech.case import load_case_text
from chemomech.dolfinx_compat import MPI
from chemomech.materials import builtin_materials
from chemomech.materials.inelastic import CreepLaw, creep_defaults
from chemomech.physics.inelastic.creep import CreepReturn
from chemomech.physics.inelastic.principal import tangent
from chemomech.solve.newton import NewtonSolver
from chemomech.solve.simulation import build_simulation

LI = builtin_materials()["Li_metal"]
LAW = CreepLaw(**{key: value for key, (value, _) in creep_defaults("Li_metal").items()})
E, NU = LI.youngs_modulus, LI.poisson_ratio
MU, LMBDA = E / (2 * (1 + NU)), E * NU / ((1 + NU) * (1 - 2 * NU))
HEIGHT = 100e-6
LOAD = 0.6e6  # below the yield stress: the preload is elastic


def li_case(fixture: str, duration: float, steps: int, lateral: str = "free") -> str:
    return f"""
geometry:
  type: stack
  dimension: axisymmetric
  diameter: 400 um
  lateral: {lateral}
  mesh_size: 100 um
  layers: [{{name: li, material: lithium, thickness: {HEIGHT * 1e6} um}}]
materials:
  lithium: {{base: Li_metal, creep: {{}}}}
lithiation:
  protocol: [{{step: rest, duration: {duration} s}}]
fixture: {fixture}
outputs: {{fields: false}}
solver: {{max_time_step: {duration / steps} s, newton_rtol: 1.0e-12, newton_atol: 1.0e-14, linear_solver: mumps}}
"""


def run(text: str):
    """Per converged step: time, axial Cauchy stress, creep strain, axial log strain, plunger pressure."""
    sim = build_simulation(load_case_text(text), MPI.COMM_WORLD)
    load_cell, dilatometer = sim.sensors
    rows = []
    for state, stats in sim.run_schedule():
        assert stats.converged
        sim.stresses.update()
        sim.history.update()
        stress = sim.stresses.region_statistics()["li"]
        creep = sim.history.region_statistics()["li"]["creep_strain_max"]
        strain = math.log(1 + dilatometer.displacement() / HEIGHT)
        rows.append((state.time, 3 * stress["hydrostatic_mean"], creep, strain, load_cell.pressure(), stress))
    sim.stepper.close()
    return rows


def test_constant_load_creep_matches_the_rate_law_and_the_closed_form():
    fixture = f"{{type: pressure, preload: {LOAD / 1e6} MPa}}"
    errors = []
    for steps in (5, 10):
        rows = run(li_case(fixture, 10.0, steps))
        preload, cycling = rows[0], rows[1:]
        assert preload[0] == 0.0 and preload[2] == 0.0  # the preload takes no time: no creep
        assert preload[1] == pytest.approx(-LOAD, rel=1e-4)  # Cauchy ≈ nominal at small strain
        assert len(cycling) == steps
        previous = preload
        for row in cycling:
            # Each step: Δγ = Δt ε̇(σ) at the step's own (Cauchy) stress — backward Euler, exactly.
            dt, increment = row[0] - previous[0], row[2] - previous[2]
            assert increment == pytest.approx(dt * LAW.rate(-row[1]), rel=1e-8)
            # Isochoric flow along the axis: the plunger strain changes by the creep strain.
            assert row[3] - preload[3] == pytest.approx(-row[2], rel=2e-3)
            assert row[4] == pytest.approx(LOAD, rel=1e-9)  # dead load
            previous = row
        # Over the whole hold: the closed form of the dead load.
        t, creep = cycling[-1][0], cycling[-1][2]
        rate = LAW.rate(-preload[1])
        exact = math.log(1 + LAW.exponent * rate * t) / LAW.exponent
        assert rate * t == pytest.approx(exact, rel=0.07)  # ε̇(σ) t to first order; m ε grows the stress
        errors.append(abs(creep / exact - 1))
    assert errors[1] < 2e-3
    assert 1.6 < errors[0] / errors[1] < 2.4, errors


def test_a_failed_attempt_leaves_no_trace_in_the_history(monkeypatch):
    """A step that Newton solved but that is reported failed is cut back; its creep is not committed."""
    real_solve = NewtonSolver.solve
    attempts = []

    def flaky(self):
        stats = real_solve(self)
        attempts.append(stats)
        if len(attempts) == 3:  # the second creep step, converged: report a failure
            return dataclasses.replace(stats, converged=False, reason=-99)
        return stats

    monkeypatch.setattr(NewtonSolver, "solve", flaky)
    rows = run(li_case(f"{{type: pressure, preload: {LOAD / 1e6} MPa}}", 10.0, 5))
    assert attempts[2].converged
    assert [row[0] for row in rows] == pytest.approx([0, 2, 3, 4, 6, 8, 10])  # the halved step
    for previous, row in zip(rows, rows[1:]):
        assert row[2] - previous[2] == pytest.approx((row[0] - previous[0]) * LAW.rate(-row[1]), rel=1e-8)


def relaxed_stress(initial: float, t: float) -> float:
    """σ(t) of dσ/dt = −E ε̇₀ (σ/σ₀)^m (uniaxial stress at fixed strain)."""
    m, s0 = LAW.exponent, LAW.reference_stress
    x = (initial / s0) ** (1 - m) + (m - 1) * E * LAW.reference_rate * t / s0
    return s0 * x ** (1 / (1 - m))


def test_stress_relaxation_at_fixed_strain_matches_the_ode():
    fixture = f"{{type: gap, preload: {LOAD / 1e6} MPa}}"
    errors = []
    for steps in (20, 40):
        rows = run(li_case(fixture, 2.0, steps))
        preload, cycling = rows[0], rows[1:]
        initial = preload[4]
        assert initial == pytest.approx(LOAD, rel=1e-9)
        strains = [row[3] for row in rows]
        assert max(strains) - min(strains) < 1e-12  # the plunger holds the strain
        relaxed = np.array([relaxed_stress(initial, row[0]) for row in cycling])
        error = np.abs(np.array([row[4] for row in cycling]) / relaxed - 1)
        assert relaxed[-1] < 0.6 * initial  # a real relaxation
        # The first step (Δt far above the initial relaxation time σ/(E ε̇)) errs most.
        assert error.max() < 0.05 if steps == 20 else error.max() < 0.025
        errors.append(error[-1])
    assert errors[1] < 1e-2
    assert 1.6 < errors[0] / errors[1] < 2.4, errors


def test_preload_in_a_die_is_bounded_by_the_yield_stress():
    rows = run(li_case("{type: pressure, preload: 5 MPa, preload_steps: 2}", 1e-3, 1, lateral="die_wall"))
    for _, axial, creep, _, pressure, stress in rows[:2]:
        assert axial < 0
        mean = stress["hydrostatic_mean"]
        lateral = (3 * mean + pressure) / 2  # σ_zz = −P: the die keeps the plunger area
        assert lateral + pressure == pytest.approx(LAW.yield_stress, rel=1e-8)
        assert stress["von_mises_max"] == pytest.approx(LAW.yield_stress, rel=1e-8)
        assert creep > 0


@pytest.mark.parametrize("dt, stretch", [(1.0, 1e-4), (0.0, 2e-4), (100.0, 3e-3)])
def test_creep_tangent_matches_finite_differences(dt, stretch):
    """The analytic dCp⁻¹/dF of the return mapping (creep, yield limit) against central differences."""
    F = np.array([[1 + stretch, 0.3 * stretch, 0.0], [0.1 * stretch, 1 - 0.4 * stretch, 0.0], [0.0, 0.0, 1.0]])[None]
    Fg, Cp = np.eye(3)[None], np.diag([1.0, 1 + 1e-5, 1 - 1e-5])[None]
    creep = CreepReturn(LAW)
    result, _ = creep.update(F, Fg, Cp, np.array([MU]), np.array([LMBDA]), dt)
    assert result.active[0]
    analytic = tangent(F, Fg, Cp, result)
    h = 1e-9
    numeric = np.zeros_like(analytic)
    for k in range(3):
        for l in range(3):
            dF = np.zeros((3, 3))
            dF[k, l] = h
            plus = creep.update(F + dF, Fg, Cp, np.array([MU]), np.array([LMBDA]), dt)[0].Cp_inv
            minus = creep.update(F - dF, Fg, Cp, np.array([MU]), np.array([LMBDA]), dt)[0].Cp_inv
            numeric[..., k, l] = (plus - minus) / (2 * h)
    assert np.max(np.abs(analytic - numeric)) < 2e-6 * np.max(np.abs(analytic))


def diagonal_trial(strains):
    """F = diag(exp e_tr), Fg = Cp⁻¹ = I: the trial principal log strains are e_tr."""
    strains = np.asarray(strains, dtype=float)
    n = len(strains)
    F = np.zeros((n, 3, 3))
    F[:, [0, 1, 2], [0, 1, 2]] = np.exp(strains)
    identity = np.broadcast_to(np.eye(3), (n, 3, 3)).copy()
    return F, identity, identity.copy(), np.full(n, MU), np.full(n, LMBDA)


# A stripping Li anode under stack pressure: 3–10 % compression, a trial
# deviator some 10³ times the stress creep leaves (the first Newton iterate
# of a load step), axisymmetric (two equal strains) and general.
LARGE_TRIALS = [
    [-0.0510988, -0.00112577, -0.00112577],
    [-0.0987096, -0.00112577, -0.00112577],
    [-0.0014521, -0.0014521, 0.0503563],
    [-0.0612, 0.0081, -0.0213],
]


@pytest.mark.parametrize("dt", [1800.0, 3600.0, 0.0])
def test_return_from_a_large_trial_deviator_satisfies_backward_euler(dt):
    """Creep (or, at Δt = 0, the yield limit) removes all but ~1e-3 of a large trial deviator; the
    return must still converge and satisfy e_tr − e = Δγ ν(e), ν = (3/2) s/q, isochoric, with
    Δγ = Δt ε̇₀ (q/σ₀)^m (creep) or q = σ_y (Δt = 0)."""
    from chemomech.physics.inelastic.creep import _flow
    from chemomech.physics.inelastic.principal import NeoHookeanPrincipal

    F, Fg, Cp, mu, lmbda = diagonal_trial(LARGE_TRIALS)
    result, gamma = CreepReturn(LAW).update(F, Fg, Cp, mu, lmbda, dt)
    assert np.isfinite(result.e).all() and result.active.all()
    e_tr = np.sort(np.asarray(LARGE_TRIALS), axis=1)
    e = np.sort(result.e, axis=1)  # trial_state orders the eigenvalues
    q, _, nu, _ = _flow(NeoHookeanPrincipal(mu, lmbda), e)
    q_tr, *_ = _flow(NeoHookeanPrincipal(mu, lmbda), e_tr)
    assert np.all(q < 1e-2 * q_tr)
    assert np.allclose(e.sum(axis=1), e_tr.sum(axis=1), rtol=0, atol=1e-13)
    assert np.max(np.abs(e_tr - e - gamma[:, None] * nu)) < 1e-12
    if dt > 0:
        rate = LAW.reference_rate * (q / LAW.reference_stress) ** LAW.exponent
        assert gamma == pytest.approx(dt * rate, rel=1e-8)
    else:
        assert q == pytest.approx(LAW.yield_stress, rel=1e-8)


def test_solver_options_leave_no_trace():
    """A run's SNES options do not stay in PETSc's global database, where the next run with the
    same solver prefix would inherit them (a lagged preconditioner under LU: linear Newton)."""
    from chemomech.dolfinx_compat import PETSc

    text = li_case(f"{{type: pressure, preload: {LOAD / 1e6} MPa}}", 1.0, 1)
    run(text.replace("linear_solver: mumps", "linear_solver: gamg"))
    assert not [name for name in PETSc.Options().getAll() if name.startswith("chemomech_")]


def test_li_metal_is_elastic_unless_its_case_material_asks_for_creep():
    """A Li_metal-based material without a creep block is elastic: small strain is fine; with one it is not."""
    from chemomech.case import CaseError

    text = li_case("{type: pressure, preload: 0.6 MPa}", 1.0, 1).replace(
        "lithium: {base: Li_metal, creep: {}}", "lithium: {base: Li_metal}"
    ) + "mechanics: {kinematics: small_strain}\n"
    assert load_case_text(text).materials["lithium"].creeps is False
    with pytest.raises(CaseError, match="creeps, which needs mechanics.kinematics: finite_strain"):
        load_case_text(text.replace("lithium: {base: Li_metal}", "lithium: {base: Li_metal, creep: {}}"))
