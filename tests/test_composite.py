"""Homogenised composite materials: swelling, porosity and moduli along ξ against closed forms.

Each closed form below follows from the swelling law of
chemomech.materials.composite in a limit where it can be integrated by hand.
"""

import json
from typing import get_args

import numpy as np
import pytest

from chemomech.case import load_case_text
from chemomech.case.schema import Scheme
from chemomech.materials import CompositeMaterial, Material, SwellingLaw, builtin_materials, resolve_materials
from chemomech.materials import homogenization as hom
from chemomech.materials.composite import Phase

BETA = 0.787
XI = np.linspace(0.0, 1.0, 23)  # not on the integration nodes (200 per unit ξ)


def active(E=10e9, nu=0.3, *, lithiated=None, swelling=SwellingLaw(beta=BETA)):
    E1, nu1 = lithiated or (None, None)
    return Material("active", E, nu, active_fraction=1.0, swelling=swelling,
                    lithiated_youngs_modulus=E1, lithiated_poisson_ratio=nu1)


def composite(phases, *, porosity=0.0, filling=0.0, scheme="mori_tanaka", matrix=None, reference_xi=0.0):
    """phases: (name, material, share of the solid volume); the first is the active one."""
    return CompositeMaterial(
        name="c",
        phases=tuple(Phase(name, material, share, share) for name, material, share in phases),
        active=phases[0][0],
        matrix=matrix or phases[-1][0],
        reference_porosity=porosity,
        pore_filling=filling,
        scheme=scheme,
        reference_xi=reference_xi,
    )


@pytest.mark.parametrize("scheme", ["mori_tanaka", "hashin_shtrikman_upper", "voigt", "reuss"])
def test_without_elastic_contrast_volumes_add(scheme):
    """Same moduli everywhere, no pores: Jg = 1 + f_a β ξ exactly (and so the plain Material's law)."""
    c = composite([("a", active(), 0.3), ("m", Material("m", 10e9, 0.3), 0.7)], scheme=scheme)
    assert c.growth_jacobian(XI) == pytest.approx(1 + 0.3 * BETA * XI, rel=1e-12)
    plain = Material("p", 10e9, 0.3, active_fraction=0.3)
    assert c.growth_jacobian(XI) == pytest.approx(plain.growth_jacobian(XI), rel=1e-12)
    assert c.lame(0.4) == pytest.approx(plain.lame(0.4), rel=1e-12)


def test_tabulated_swelling_without_contrast_follows_the_table_between_nodes():
    law = SwellingLaw(table=((0.0, 0.5, 1.0), (0.0, 0.526, 0.787)))
    c = composite([("a", active(swelling=law), 0.4), ("m", Material("m", 10e9, 0.3), 0.6)])
    assert c.growth_jacobian(XI) == pytest.approx(1 + 0.4 * law.volume_change(XI), rel=1e-12)


def small_swelling_composite(phases, beta=1e-5, **kwargs):
    first = ("a", active(*phases[0][1], swelling=SwellingLaw(beta=beta)), phases[0][2])
    return composite([first, *((n, Material(n, E, nu), f) for n, (E, nu), f in phases[1:])], **kwargs), beta


@pytest.mark.parametrize("matrix", ["a", "m"])
def test_small_swelling_of_two_phases_is_levins_relation(matrix):
    """At fixed moduli and small swelling, Jg − 1 = θ*_eff of Levin's relation with K_eff = K_MT, to O(β²)."""
    c, beta = small_swelling_composite([("a", (9.2e9, 0.3), 0.3), ("m", (22e9, 0.37), 0.7)], matrix=matrix)
    K, _ = c.bulk_shear(0.0)
    Ka, _ = hom.bulk_shear(9.2e9, 0.3)
    Km, _ = hom.bulk_shear(22e9, 0.37)
    levin = hom.levin_two_phase(beta * XI, Ka, Km, K)
    assert c.growth_jacobian(XI) - 1 == pytest.approx(levin, rel=1e-6, abs=1e-16)
    # Levin differs from the volume average f_a β ξ by far more than that tolerance:
    assert levin[-1] < 0.9 * 0.3 * beta


def test_small_swelling_of_three_phases_with_pores_is_the_mean_field_eigenstrain():
    c, beta = small_swelling_composite(
        [("a", (9.2e9, 0.3), 0.3), ("carbon", (1e9, 0.25), 0.2), ("m", (22e9, 0.37), 0.5)], porosity=0.1
    )
    f = np.array([0.27, 0.18, 0.45, 0.1])
    K = np.array([*hom.bulk_shear([9.2e9, 1e9, 22e9], [0.3, 0.25, 0.37])[0], 0.0])
    G = np.array([*hom.bulk_shear([9.2e9, 1e9, 22e9], [0.3, 0.25, 0.37])[1], 0.0])
    b = hom.mori_tanaka(f, K, G, matrix=2).stress_concentration
    expected = hom.effective_eigenstrain(f, b, [beta, 0, 0, 0])
    assert c.growth_jacobian(1.0) - 1 == pytest.approx(expected, rel=1e-6)
    assert c.porosity(1.0) == pytest.approx(0.1, rel=1e-6)  # pores dilate with the composite


@pytest.mark.parametrize("phi", [0.0, 0.5, 1.0])
def test_one_active_solid_with_pores(phi):
    """Jg = r^(1−φ), p = p₀ − (1 − p₀)(r^φ − 1) until p = 0 at r_e; then Jg = (1 − p₀) r."""
    p0 = 0.2
    c = composite([("a", active(), 1.0)], porosity=p0, filling=phi)
    r = 1 + BETA * XI
    if phi == 0:
        jg, porosity = r, np.full_like(r, p0)
    else:
        r_full = (1 / (1 - p0)) ** (1 / phi)
        jg = np.where(r < r_full, r ** (1 - phi), (1 - p0) * r)
        porosity = np.maximum(p0 - (1 - p0) * (r**phi - 1), 0.0)
    assert c.growth_jacobian(XI) == pytest.approx(jg, rel=1e-10)
    assert c.porosity(XI) == pytest.approx(porosity, rel=1e-10, abs=1e-12)


def test_full_pore_filling_keeps_the_volume_until_the_pores_are_full():
    """φ = 1 with elastic contrast: Jg = 1 and p = p₀ − f_a β ξ while positive; then the composite swells."""
    c = composite(
        [("a", active(9.2e9, 0.3, lithiated=(80e9, 0.2)), 0.3), ("m", Material("m", 22e9, 0.37), 0.7)],
        porosity=0.1,
        filling=1.0,
    )
    f_a = 0.27
    xi_full = 0.1 / (f_a * BETA)
    before = XI[XI < xi_full]
    assert c.growth_jacobian(before) == pytest.approx(1.0, abs=1e-13)
    assert c.porosity(before) == pytest.approx(0.1 - f_a * BETA * before, abs=1e-13)
    after = XI[XI > xi_full + 1e-3]
    assert np.all(c.porosity(after) == pytest.approx(0.0, abs=1e-13))
    assert np.all(np.diff(c.growth_jacobian(after)) > 0) and c.growth_jacobian(1.0) > 1.05


def test_li2s_reference_state_and_shrinkage_opens_pores():
    """Fractions given at ξ_ref = 1; on charge the active phase shrinks and half its loss becomes pores."""
    p0 = 0.05
    c = composite([("a", active(), 1.0)], porosity=p0, filling=0.5, reference_xi=1.0)
    r = (1 + BETA * XI) / (1 + BETA)
    assert c.growth_jacobian(1.0) == 1.0 and c.porosity(1.0) == p0
    assert c.growth_jacobian(XI) == pytest.approx(r**0.5, rel=1e-10)
    assert c.porosity(XI) == pytest.approx(p0 - (1 - p0) * (r**0.5 - 1), rel=1e-10)
    assert c.active_fraction == pytest.approx(1 - p0)


def test_moduli_follow_the_active_phase_and_the_fractions():
    li = builtin_materials()
    c = composite(
        [("s", li["sulfur"], 0.3), ("carbon", li["carbon_black_agglomerate"], 0.2), ("se", li["Li6PS5Cl"], 0.5)],
        porosity=0.1,
        filling=0.3,
    )
    for xi in (0.0, 0.37, 1.0):
        fractions = c.volume_fractions(xi)
        f = np.array(list(fractions.values()))
        assert f.sum() == pytest.approx(1.0, rel=1e-14)
        E = [li["sulfur"].moduli(xi)[0], 1e9, 22e9, 0.0]
        nu = [li["sulfur"].moduli(xi)[1], 0.25, 0.37, 0.0]
        K, G = hom.bulk_shear(E, nu)
        expected = hom.mori_tanaka(f, K, G, matrix=2)
        assert c.bulk_shear(xi) == pytest.approx((expected.bulk, expected.shear), rel=1e-13)
        mu, lmbda = c.lame(xi)
        assert (mu, lmbda) == pytest.approx((expected.shear, expected.bulk - 2 / 3 * expected.shear), rel=1e-13)
        assert c.moduli(xi) == pytest.approx(hom.youngs_poisson(expected.bulk, expected.shear), rel=1e-13)
        assert c.porosity(xi) == fractions["pores"]
    assert c.porosity(1.0) < c.porosity(0.5) < 0.1  # pores fill as S turns into Li2S
    assert c.bulk_shear(1.0)[0] > 2 * c.bulk_shear(0.0)[0]  # Li2S is far stiffer than S
    assert np.ndim(c.growth_jacobian(0.5)) == 0 and c.growth_jacobian(XI).shape == XI.shape


CASE = """\
geometry:
  type: stack
  dimension: axisymmetric
  diameter: 10 mm
  layers:
    - {name: cathode, material: cathode_S, thickness: 60 um}
    - {name: separator, material: Li6PS5Cl, thickness: 500 um}
materials:
  cathode_S:
    composition:
      basis: weight
      phases:
        sulfur: {material: sulfur, fraction: 0.30}
        electrolyte: {material: Li6PS5Cl, fraction: 0.50}
        carbon: {material: carbon_black_agglomerate, fraction: 0.10}
        binder: {material: binder, fraction: 0.10, density: 1.2 g/cm3}
      porosity: 0.1
      pore_filling: 0.25
  binder: {youngs_modulus: 5 MPa, poisson_ratio: 0.45}
fixture: {type: gap}
"""


def test_the_case_offers_every_scheme():
    assert get_args(Scheme) == hom.SCHEMES


def test_resolved_from_a_case_by_weight():
    cathode = resolve_materials(load_case_text(CASE))["cathode"]
    assert isinstance(cathode, CompositeMaterial)
    volumes = np.array([0.30 / 2070, 0.50 / 1860, 0.10 / 1900, 0.10 / 1200])
    expected = dict(zip(["sulfur", "electrolyte", "carbon", "binder"], 0.9 * volumes / volumes.sum(), strict=True))
    assert cathode.volume_fractions(0.0) == pytest.approx({**expected, "pores": 0.1}, rel=1e-12)
    assert cathode.active == "sulfur" and cathode.matrix == "electrolyte"  # largest inert phase
    assert cathode.active_fraction == pytest.approx(expected["sulfur"])
    assert cathode.phases[3].material.youngs_modulus == 5e6  # the case's own material
    assert cathode.sources["binder.density"] == "case file"
    assert cathode.sources["electrolyte.density"].startswith("supplement.csv: ")
    assert cathode.sources["sulfur.density"].startswith("materials.csv: ")


def test_described_with_bounds_at_both_ends():
    cathode = resolve_materials(load_case_text(CASE))["cathode"]
    described = json.loads(json.dumps(cathode.describe()))
    assert described["model"] == "homogenised composite" and described["scheme"] == "mori_tanaka"
    assert described["volume_fractions"]["pores"] == pytest.approx(0.1)
    assert "Levin" in described["swelling"]["law"] and described["swelling"]["active_phase"]["beta"] == 0.787
    for xi, key in ((0.0, "xi=0"), (1.0, "xi=1")):
        state = described["states"][key]
        K, G = cathode.bulk_shear(xi)
        assert (state["bulk_modulus"], state["shear_modulus"]) == pytest.approx((K, G))
        assert state["hashin_shtrikman_lower"] == {"bulk_modulus": 0.0, "shear_modulus": 0.0}  # pores
        upper = state["hashin_shtrikman_upper"]
        assert K <= upper["bulk_modulus"] * (1 + 1e-12) and G <= upper["shear_modulus"] * (1 + 1e-12)
        assert state["growth_jacobian"] == pytest.approx(cathode.growth_jacobian(xi))
        assert sum(state["volume_fractions"].values()) == pytest.approx(1.0)
    assert described["states"]["xi=1"]["porosity"] < 0.1
