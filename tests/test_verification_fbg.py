"""Verification: fibre Bragg gratings (physics.md section 7).

A column of one material with the fibre's Poisson ratio, free lateral faces
and a plunger pressure p is in uniaxial stress: ε_zz = −p/E and
ε_xx = ε_yy = ν p/E, exactly, in small strain.

* A grating along z sees pure axial strain with the fibre's own lateral
  contraction: Δλ/λ_B = (1 − p_e) ε_zz on both polarisations, no split.
* A grating along x with its polarisation axis x' along z sees the transverse
  uniaxial stress: Δλ_x' − Δλ_y' = −(n²/2)(p11 − p12)(ε_zz − ε_yy) λ_B.
"""

import pytest

from chemomech.materials import default_library
from simulate import simulate

E, PRESSURE, LAMBDA_B = 10e9, 20e6, 1550e-9
FIBRE = {name: prop.value for name, prop in default_library().get("silica_fibre").items()}
NU = FIBRE["poisson_ratio"]


def column_case(kind: str) -> str:
    return f"""
geometry:
  type: stack
  dimension: {kind}
  diameter: 10 mm
  lateral: free
  mesh_size: 1 mm
  layers:
    - {{name: host, material: host_m, thickness: 4 mm}}
materials:
  host_m: {{youngs_modulus: {E / 1e9} GPa, poisson_ratio: {NU}}}
mechanics: {{kinematics: small_strain}}
lithiation:
  protocol: [{{step: rest, duration: 1 h}}]
fixture: {{preload: {PRESSURE / 1e6} MPa, type: pressure}}
sensors:
  - {{type: fbg, name: axial, position: [1 mm, 0.5 mm, 2 mm], axis: [0, 0, 1], grating_length: 3 mm}}
  - {{type: fbg, name: radial, position: [2 mm, 1 mm, 1.5 mm], axis: [2, 1, 0], transverse: [0, 0, 1],
      grating_length: 2 mm, temperature_change: 3 K}}
outputs: {{fields: false}}
solver: {{newton_rtol: 1.0e-12}}
"""


@pytest.mark.parametrize("kind", ["axisymmetric", "3d"])  # plane strain is not uniaxial stress
def test_gratings_in_uniaxial_stress(kind):
    sim, _ = simulate(column_case(kind))
    axial, radial = (grating.read() for grating in sim.gratings)
    eps_axial, eps_lateral = -PRESSURE / E, NU * PRESSURE / E
    p_e = FIBRE["refractive_index"] ** 2 / 2 * (FIBRE["p12"] - NU * (FIBRE["p11"] + FIBRE["p12"]))
    assert p_e == pytest.approx(0.214, abs=1e-3)
    # along z: the fibre's own lateral contraction, so the textbook (1 − p_e) ε
    assert axial["axial_axial_strain [ue]"] == pytest.approx(eps_axial * 1e6, rel=1e-6)
    expected = (1 - p_e) * eps_axial * LAMBDA_B * 1e12
    assert axial["axial_bragg_shift_x [pm]"] == pytest.approx(expected, rel=1e-6)
    assert axial["axial_bragg_shift_y [pm]"] == pytest.approx(expected, rel=1e-6)
    assert abs(axial["axial_bragg_split [pm]"]) < 1e-6 * abs(expected)
    # across the load: birefringent split, plus the temperature term on both axes
    half_n2 = FIBRE["refractive_index"] ** 2 / 2
    split = -half_n2 * (FIBRE["p11"] - FIBRE["p12"]) * (eps_axial - eps_lateral) * LAMBDA_B * 1e12
    assert radial["radial_transverse_strain_x [ue]"] == pytest.approx(eps_axial * 1e6, rel=1e-6)
    assert radial["radial_bragg_split [pm]"] == pytest.approx(split, rel=1e-6)
    thermal = FIBRE["temperature_sensitivity"] * 3.0 * 1e12
    shift_x = LAMBDA_B * 1e12 * (
        eps_lateral - half_n2 * (FIBRE["p11"] * eps_axial + FIBRE["p12"] * 2 * eps_lateral)
    ) + thermal
    assert radial["radial_bragg_shift_x [pm]"] == pytest.approx(shift_x, rel=1e-6)


def test_grating_outside_the_model_is_refused():
    from chemomech.errors import GeometryError

    text = column_case("axisymmetric").replace("position: [1 mm, 0.5 mm, 2 mm]", "position: [1 mm, 0.5 mm, 3.9 mm]")
    with pytest.raises(GeometryError, match="sensor 'axial': the grating leaves the model"):
        simulate(text)
