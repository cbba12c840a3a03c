"""Verification: a homogenised composite cathode in the finite-element model (physics.md 9, 10a, 10b).

A single layer whose material is given by its composition (S, LPSCl and
carbon by weight, with pores that half of the expansion fills) must swell
freely to exactly the composite's Jg(ξ) and, in a rigid die at constant gap,
carry the closed-form stress with the composite's μ(ξ), λ(ξ) and g(ξ): the
finite-element model then uses the mean-field properties as it should. The
states are homogeneous, so P1 is exact and the tolerances only leave room
for the Newton tolerance. Also run under mpiexec -n 2.
"""

import json

import pytest
import ufl

from chemomech.case import load_case_text
from chemomech.dolfinx_compat import MPI
from chemomech.materials import CompositeMaterial, resolve_materials
from chemomech.output.series import read_series
from chemomech.solve.run import run_case
from closed_forms import die_constant_gap_stress
from simulate import cell_values, global_max_abs, simulate

HEIGHT = 100e-6


def composite_case(kind: str, *, lateral: str, fixture: str) -> str:
    return f"""
name: composite_layer
geometry:
  type: stack
  dimension: {kind}
  diameter: 400 um
  lateral: {lateral}
  mesh_size: 50 um
  layers:
    - {{name: cathode, material: cathode_S, thickness: 100 um}}
materials:
  cathode_S:
    composition:
      basis: weight
      phases:
        sulfur: {{material: sulfur, fraction: 0.3}}
        electrolyte: {{material: Li6PS5Cl, fraction: 0.5}}
        carbon: {{material: carbon_black_agglomerate, fraction: 0.2}}
      porosity: 0.1
      pore_filling: 0.5
lithiation:
  protocol: [{{step: discharge, rate: 1 C, until_xi: 1.0}}]
fixture: {fixture}
outputs: {{fields: false, figures: false}}
solver: {{max_xi_step: 0.25, newton_rtol: 1.0e-13, newton_atol: 1.0e-15}}
"""


@pytest.mark.parametrize("kind", ["axisymmetric", "3d"])
def test_free_swelling_of_the_composite_is_its_growth_jacobian(kind):
    sim, history = simulate(composite_case(kind, lateral="free", fixture="{type: pressure}"))
    cathode = sim.materials["cathode"]
    assert isinstance(cathode, CompositeMaterial)
    xi = history[-1][0].xi
    jg = cathode.growth_jacobian(xi)
    assert jg == pytest.approx(1.1225, abs=1e-4)  # far from 1 + f_a β = 1.198: Levin and pore filling
    J = ufl.det(ufl.Identity(3) + sim.model.H)
    assert global_max_abs(sim, cell_values(sim, J) - jg) < 1e-10
    E = cathode.moduli(xi)[0]
    stress = max(max(s["sigma1_max"], -s["sigma3_min"]) for s in sim.stresses.region_statistics().values())
    assert stress < 1e-8 * E
    for state, pressure, displacement in history:
        assert displacement == pytest.approx((cathode.growth_stretch(state.xi) - 1) * HEIGHT, rel=1e-10, abs=1e-18)
        assert abs(pressure) < 1e-8 * E


@pytest.mark.parametrize("kind", ["plane_strain", "axisymmetric", "3d"])
def test_rigid_die_constant_gap_with_the_composite_moduli(kind):
    sim, history = simulate(composite_case(kind, lateral="die_wall", fixture="{type: gap}"))
    cathode = sim.materials["cathode"]
    assert [state.xi for state, _, _ in history] == [0.25, 0.5, 0.75, 1.0]
    for state, pressure, _ in history:
        mu, lmbda = cathode.lame(state.xi)
        expected = -die_constant_gap_stress(cathode.growth_stretch(state.xi), mu, lmbda)
        assert pressure == pytest.approx(expected, rel=1e-6, abs=1e-3)
    # The moduli change with ξ (S -> Li2S): the stress is not that of the initial moduli.
    mu0, lmbda0 = cathode.lame(0.0)
    with_initial_moduli = -die_constant_gap_stress(cathode.growth_stretch(1.0), mu0, lmbda0)
    assert abs(history[-1][1] - with_initial_moduli) > 0.3 * history[-1][1]


def test_run_reports_bounds_and_porosity(mpi_tmp_path):
    outdir = mpi_tmp_path / "out"
    case = load_case_text(composite_case("axisymmetric", lateral="die_wall", fixture="{type: gap}"))
    run_case(case, outdir)
    if MPI.COMM_WORLD.rank == 0:
        summary = json.loads((outdir / "summary.json").read_text())
        described = summary["materials"]["cathode"]
        assert described["model"] == "homogenised composite" and described["basis"] == "weight"
        assert set(described["volume_fractions"]) == {"sulfur", "electrolyte", "carbon", "pores"}
        for state in described["states"].values():
            upper, lower = state["hashin_shtrikman_upper"], state["hashin_shtrikman_lower"]
            assert lower["bulk_modulus"] <= state["bulk_modulus"] <= upper["bulk_modulus"]
            assert lower["shear_modulus"] <= state["shear_modulus"] <= upper["shear_modulus"]
        series = read_series(outdir / "series.csv")
        cathode = resolve_materials(case)["cathode"]
        expected = [cathode.porosity(xi) for xi in series["lithiation [-]"]]
        assert series["cathode_porosity [-]"] == pytest.approx(expected, rel=1e-9)
        assert series["cathode_porosity [-]"][0] == pytest.approx(0.1) and series["cathode_porosity [-]"][-1] < 0.01
