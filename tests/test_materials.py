"""Materials library, built-ins, resolution of case materials, material laws."""

import filecmp
import json
from pathlib import Path

import numpy as np
import pytest

from chemomech.case import load_case_text
from chemomech.materials import (
    SULFUR_SPECIFIC_CAPACITY,
    Material,
    SwellingLaw,
    builtin_materials,
    default_library,
    resolve_materials,
)
from chemomech.materials.library import DATA_FILE, SUPPLEMENT_FILE, Library

SHARED_CSV = Path(__file__).resolve().parents[1] / ".." / "shared" / "materials.csv"


@pytest.mark.skipif(not SHARED_CSV.exists(), reason="no ../shared/materials.csv beside the repository")
def test_packaged_csv_is_the_shared_one():
    assert filecmp.cmp(DATA_FILE, SHARED_CSV, shallow=False)


def test_supplement_adds_sourced_values_without_overriding_the_shared_table():
    shared = {(p.material, p.name) for p in Library.read(DATA_FILE).properties()}
    supplement = Library.read(SUPPLEMENT_FILE).properties()
    assert supplement
    for prop in supplement:
        assert (prop.material, prop.name) not in shared
        assert prop.source and prop.confidence in {"verified", "secondary", "computed", "placeholder"}
        assert prop.table == "supplement.csv"
    density = default_library().get("Li6PS5Cl")["density"]
    assert density.value == pytest.approx(1860) and density.si_unit == "kg / m ** 3"
    assert density.table == "supplement.csv" and "Deiseroth" in density.source
    assert default_library().get("sulfur")["density"].table == "materials.csv"


def test_library_values_in_si_with_sources():
    library = default_library()
    assert "Li6PS5Cl" in library.names() and "sulfur" in library.names()
    lpsc = library.get("Li6PS5Cl")
    E = lpsc["youngs_modulus"]
    assert E.value == pytest.approx(22e9) and (E.written, E.unit) == ("22", "GPa")
    assert E.source.startswith("Singh et al.") and E.confidence == "verified"
    assert lpsc["poisson_ratio"].value == pytest.approx(0.37) and lpsc["poisson_ratio"].si_unit == ""
    assert lpsc["ionic_conductivity"].value == pytest.approx(0.3)  # 3 mS/cm = 0.3 S/m
    sulfur = library.get("sulfur")
    assert sulfur["density"].value == pytest.approx(2070)  # g/cm3 -> kg/m3
    assert sulfur["molar_volume"].value == pytest.approx(15.49e-6)
    assert sulfur["capacity"].value == pytest.approx(1672 * 3600)
    assert library.get("LTO")["volume_change"].value == pytest.approx(0.002)  # 0.2 %


def test_library_keeps_non_numeric_values_as_text():
    ranges = default_library().get("cell")["operating_stack_pressure"]
    assert (ranges.value, ranges.si_unit, ranges.unit) == ("10-75", None, "MPa")


def test_library_unknown_material():
    with pytest.raises(KeyError, match="Li6PS5Cl"):
        default_library().get("Li6PS5CL")


def test_sulfur_capacity():
    assert SULFUR_SPECIFIC_CAPACITY == pytest.approx(6.0192e6)


def test_builtins():
    builtins = builtin_materials()
    library = default_library()
    elastic = [n for n in library.names() if {"youngs_modulus", "poisson_ratio"} <= set(library.get(n))]
    assert list(builtins) == elastic
    assert "Li2S-P2S5_glass_75-25" not in builtins  # no Poisson ratio in the library
    lto = builtins["LTO"]
    assert (lto.youngs_modulus, lto.poisson_ratio, lto.active_fraction) == (181e9, 0.25, 0.0)
    assert lto.growth_jacobian(1.0) == 1.0
    assert "Koerver" in lto.sources["youngs_modulus"]


@pytest.mark.parametrize("name", ["sulfur", "Li2S"])
def test_active_builtins(name):
    active = builtin_materials()[name]
    assert active.active_fraction == 1.0
    assert active.swelling == SwellingLaw(beta=pytest.approx(0.787))
    assert active.moduli(0.0) == pytest.approx((9.2e9, 0.30))
    assert active.moduli(1.0) == pytest.approx((80e9, 0.20))
    assert active.growth_jacobian(1.0) == pytest.approx(1.787)
    assert set(active.sources) >= {"youngs_modulus", "lithiated_youngs_modulus", "swelling"}


def test_growth_jacobian_linear():
    m = Material("m", 1e9, 0.3, active_fraction=0.3, swelling=SwellingLaw(beta=0.787))
    xi = np.linspace(0, 1, 11)
    assert m.growth_jacobian(xi) == pytest.approx(1 + 0.3 * 0.787 * xi)
    assert m.growth_stretch(xi) == pytest.approx((1 + 0.3 * 0.787 * xi) ** (1 / 3))
    assert m.growth_jacobian(0.5) == pytest.approx(1 + 0.3 * 0.787 * 0.5)


def test_growth_jacobian_table():
    law = SwellingLaw(table=((0.0, 0.5, 1.0), (0.0, 0.526, 0.787)))
    m = Material("m", 1e9, 0.3, active_fraction=1.0, swelling=law)
    assert m.growth_jacobian(np.array([0.0, 0.25, 0.5, 0.75, 1.0])) == pytest.approx(
        [1.0, 1.263, 1.526, 1 + (0.526 + 0.787) / 2, 1.787]
    )


def test_moduli_mix_and_lame():
    m = Material("m", 10e9, 0.2, lithiated_youngs_modulus=20e9, lithiated_poisson_ratio=0.3)
    assert m.moduli(0.5) == pytest.approx((15e9, 0.25))
    assert m.moduli(np.array([0.0, 1.0]))[0] == pytest.approx([10e9, 20e9])
    mu, lmbda = m.lame(0.0)
    assert mu == pytest.approx(10e9 / 2.4) and lmbda == pytest.approx(10e9 * 0.2 / (1.2 * 0.6))
    plain = Material("p", 10e9, 0.2)
    assert plain.moduli(0.7) == pytest.approx((10e9, 0.2))


CASE = """\
geometry:
  type: stack
  dimension: 3d
  diameter: 10 mm
  layers:
    - {name: cathode, material: cathode_S, thickness: 60 um}
    - {name: separator, material: Li6PS5Cl, thickness: 500 um}
    - {name: anode, material: own, thickness: 50 um}
materials:
  cathode_S:
    base: Li6PS5Cl
    youngs_modulus: 15 GPa
    active_fraction: 0.3
    lithiated: {youngs_modulus: 18 GPa, poisson_ratio: 0.3}
  own:
    youngs_modulus: 1 GPa
    poisson_ratio: 0.4
    swelling: {table: {xi: [0, 1], volume_change: [0, 0.1]}}
fixture: {type: gap}
"""


def test_resolve_stack():
    regions = resolve_materials(load_case_text(CASE))
    assert list(regions) == ["cathode", "separator", "anode"]
    cathode = regions["cathode"]
    assert cathode.name == "cathode_S"
    assert (cathode.youngs_modulus, cathode.poisson_ratio) == (15e9, 0.37)  # nu from the base
    assert cathode.sources["youngs_modulus"] == "case file"
    assert "Singh" in cathode.sources["poisson_ratio"]
    assert cathode.moduli(1.0) == pytest.approx((18e9, 0.3))
    assert cathode.growth_jacobian(1.0) == pytest.approx(1 + 0.3 * 0.787)
    assert regions["separator"] == builtin_materials()["Li6PS5Cl"]
    own = regions["anode"]
    assert (own.youngs_modulus, own.poisson_ratio, own.active_fraction) == (1e9, 0.4, 0.0)
    assert own.swelling.table == ((0.0, 1.0), (0.0, 0.1))
    assert set(own.sources) == {"youngs_modulus", "poisson_ratio", "swelling"}


def test_describe_is_json_ready():
    described = json.loads(json.dumps(builtin_materials()["sulfur"].describe()))
    assert described["swelling"] == {"beta": 0.787, "table": None}
    assert described["lithiated_youngs_modulus"] == 80e9 and "youngs_modulus" in described["sources"]


def test_resolve_inclusion():
    case = load_case_text(
        "geometry: {type: inclusion, dimension: axisymmetric, inclusion_radius: 5 um,"
        " outer_radius: 20 um, inclusion_material: sulfur, matrix_material: Li6PS5Cl}\n"
    )
    regions = resolve_materials(case)
    assert regions == {"inclusion": builtin_materials()["sulfur"], "matrix": builtin_materials()["Li6PS5Cl"]}
