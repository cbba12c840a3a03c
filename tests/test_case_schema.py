"""Valid cases: SI conversion, defaults, overrides, JSON schema."""

import json
import subprocess
import sys

import pytest

from chemomech.case import Case, Charge, Discharge, Rest, load_case, load_case_text

STACK = """\
name: pellet
geometry:
  type: stack
  dimension: axisymmetric
  diameter: 10 mm
  mesh_size: 50 um
  layers:
    - {name: cathode,   material: cathode_S, thickness: 60 um, mesh_size: 10 um}
    - {name: separator, material: Li6PS5Cl,  thickness: 500 µm}
    - {name: anode,     material: LTO,       thickness: 0.08 mm}
materials:
  cathode_S:
    base: Li6PS5Cl
    youngs_modulus: 15 GPa
    active_fraction: 0.3
    swelling:
      table: {xi: [0, 0.5, 1], volume_change: [0, 0.526, 0.787]}
lithiation:
  cycles: 2
  protocol:
    - {step: discharge, rate: 0.1 C}
    - {step: rest, duration: 30 min}
    - {step: charge, rate: C/10, until_capacity: 1000 mAh/g}
    - {step: discharge, rate: 2, until_xi: 0.8}
fixture:
  preload: 50 MPa
  preload_steps: 2
  type: spring
  frame_stiffness: 1e8 N/m
"""

INCLUSION = """\
geometry:
  type: inclusion
  dimension: 3d
  inclusion_radius: 5 um
  outer_radius: 20 um
  inclusion_material: sulfur
  matrix_material: Li6PS5Cl
  interface_mesh_size: 0.25 um
  outer_boundary: fixed
"""


@pytest.fixture
def stack() -> Case:
    return load_case_text(STACK, "pellet.yaml")


def test_lengths_in_metres(stack):
    g = stack.geometry
    assert g.diameter == pytest.approx(0.01)
    assert g.mesh_size == pytest.approx(5e-5)
    assert [layer.thickness for layer in g.layers] == pytest.approx([6e-5, 5e-4, 8e-5])
    assert g.layers[0].mesh_size == pytest.approx(1e-5)
    assert g.layers[1].mesh_size is None
    assert g.lateral == "die_wall" and g.save_mesh is False


def test_pressures_stiffness_and_moduli(stack):
    assert stack.fixture.preload == pytest.approx(5e7)
    assert stack.fixture.frame_stiffness == pytest.approx(1e8)
    assert stack.fixture.type == "spring" and stack.fixture.preload_steps == 2
    spec = stack.materials["cathode_S"]
    assert spec.youngs_modulus == pytest.approx(15e9)
    assert spec.poisson_ratio is None
    assert spec.swelling.table.volume_change == [0, 0.526, 0.787]


def test_protocol(stack):
    first, rest, charge, last = stack.lithiation.protocol
    assert isinstance(first, Discharge) and first.rate == pytest.approx(0.1)
    assert first.until_xi == 1.0 and first.until_capacity is None  # default end
    assert isinstance(rest, Rest) and rest.duration == pytest.approx(1800)
    assert isinstance(charge, Charge) and charge.rate == pytest.approx(0.1)
    assert charge.until_capacity == pytest.approx(3.6e6) and charge.until_xi is None
    assert last.rate == 2 and last.until_xi == 0.8
    assert stack.lithiation.cycles == 2


def test_defaults(stack):
    assert stack.version == 1 and stack.description == ""
    assert stack.mechanics.kinematics == "finite_strain"
    assert stack.lithiation.model == "uniform" and stack.lithiation.active_material == "sulfur"
    assert stack.outputs.fields is True and stack.outputs.field_every == 1
    s = stack.solver
    assert (s.element_degree, s.quadrature_degree, s.linear_solver) == (1, None, "gamg")
    assert (s.newton_rtol, s.newton_atol, s.max_newton_iterations) == (1e-9, 1e-10, 25)
    assert (s.max_cutbacks, s.max_xi_step) == (6, 0.05)


def test_mixed_formulation_takes_its_solver_defaults(stack):
    """P2–P0 and LU unless the case sets them; other settings untouched."""
    assert stack.mechanics.formulation == "displacement"
    case = load_case_text(STACK + "mechanics: {formulation: mixed}\nsolver: {max_cutbacks: 2}\n")
    assert case.mechanics.formulation == "mixed"
    assert (case.solver.element_degree, case.solver.linear_solver, case.solver.max_cutbacks) == (2, "mumps", 2)
    explicit = load_case_text(STACK + "mechanics: {formulation: mixed}\nsolver: {element_degree: 2, linear_solver: mumps}\n")
    assert (explicit.solver.element_degree, explicit.solver.linear_solver) == (2, "mumps")
    assert load_case_text(STACK, "pellet.yaml", ["mechanics.formulation=mixed"]).solver.element_degree == 2


def test_default_protocol_and_charge_end():
    case = load_case_text(INCLUSION + "lithiation: {protocol: [{step: charge, rate: 1 C}]}\n")
    assert case.lithiation.protocol[0].until_xi == 0.0
    (step,) = load_case_text(INCLUSION).lithiation.protocol
    assert isinstance(step, Discharge) and step.rate == pytest.approx(0.1) and step.until_xi == 1.0


def test_inclusion():
    case = load_case_text(INCLUSION, "sphere.yaml")
    g = case.geometry
    assert g.type == "inclusion" and g.outer_boundary == "fixed"
    assert (g.inclusion_radius, g.outer_radius) == pytest.approx((5e-6, 2e-5))
    assert g.interface_mesh_size == pytest.approx(2.5e-7)
    assert g.regions() == {"inclusion": "sulfur", "matrix": "Li6PS5Cl"}
    assert case.fixture is None


def test_name_defaults_to_file_stem(tmp_path):
    path = tmp_path / "my_sphere.yaml"
    path.write_text(INCLUSION)
    assert load_case(path).name == "my_sphere"
    assert load_case_text(STACK, "x.yaml").name == "pellet"


@pytest.mark.parametrize(
    "setting, get, value",
    [
        ("geometry.layers.0.thickness=80 um", lambda c: c.geometry.layers[0].thickness, 8e-5),
        ("geometry.layers.cathode.thickness=80 um", lambda c: c.geometry.layers[0].thickness, 8e-5),
        ("geometry.layers.anode.material=Li_metal", lambda c: c.geometry.layers[2].material, "Li_metal"),
        ("solver.linear_solver=mumps", lambda c: c.solver.linear_solver, "mumps"),
        ("mechanics.kinematics=small_strain", lambda c: c.mechanics.kinematics, "small_strain"),
        ("lithiation.protocol.1.duration=2 h", lambda c: c.lithiation.protocol[1].duration, 7200),
        (
            "materials.cathode_S.lithiated={youngs_modulus: 20 GPa, poisson_ratio: 0.3}",
            lambda c: c.materials["cathode_S"].lithiated.youngs_modulus,
            2e10,
        ),
        ("materials.new.base=sulfur", lambda c: c.materials["new"].base, "sulfur"),
        ("outputs.fields=false", lambda c: c.outputs.fields, False),
        ("name=other", lambda c: c.name, "other"),
    ],
)
def test_overrides(setting, get, value):
    case = load_case_text(STACK, "pellet.yaml", [setting])
    assert get(case) == pytest.approx(value) if isinstance(value, float) else get(case) == value


def test_overrides_apply_in_order(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text(STACK)
    case = load_case(path, ["solver.max_cutbacks=2", "solver.max_cutbacks=3"])
    assert case.solver.max_cutbacks == 3


@pytest.mark.serial
def test_case_layer_imports_no_dolfinx():
    """Loading a case must not pull DOLFINx, PETSc or MPI in."""
    code = (
        "import sys, chemomech.case, chemomech.materials, chemomech.cli, chemomech.errors; "
        "print(sorted(m for m in ('dolfinx', 'petsc4py', 'mpi4py') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_json_schema():
    schema = json.loads(json.dumps(Case.model_json_schema()))
    assert set(schema["properties"]) == {
        "version",
        "name",
        "description",
        "geometry",
        "materials",
        "mechanics",
        "lithiation",
        "fixture",
        "sensors",
        "outputs",
        "solver",
        "risk",
    }
    assert schema["required"] == ["geometry"]
    assert schema["additionalProperties"] is False
    thickness = schema["$defs"]["Layer"]["properties"]["thickness"]
    assert thickness["type"] == "string" and "60 um" in thickness["description"]
    assert "(?P<" not in json.dumps(schema)  # patterns are portable regexes


def test_fracture_and_risk_blocks():
    text = STACK.replace(
        "    active_fraction: 0.3\n",
        "    active_fraction: 0.3\n"
        "    fracture: {tensile_strength: 30 MPa, weibull_modulus: 8, weibull_scale: 40 MPa, weibull_volume: 2 mm3,\n"
        "               fracture_toughness: 0.3 MPa*m^0.5, geometry_factor: 1.0}\n",
    ) + "risk:\n  interface_strength: 5 MPa\n  interfaces: {cathode/separator: 2 MPa}\n"
    case = load_case_text(text, "pellet.yaml")
    fracture = case.materials["cathode_S"].fracture
    assert (fracture.tensile_strength, fracture.weibull_scale, fracture.fracture_toughness) == pytest.approx(
        (30e6, 40e6, 0.3e6)
    )
    assert (fracture.weibull_modulus, fracture.weibull_volume, fracture.geometry_factor) == pytest.approx((8, 2e-9, 1))
    assert case.risk.interface_strength == pytest.approx(5e6)
    assert case.risk.interfaces == pytest.approx({"cathode/separator": 2e6})
    assert load_case_text(STACK).risk.interfaces == {}


def test_fracture_with_a_composite():
    text = STACK.replace(
        "    base: Li6PS5Cl\n    youngs_modulus: 15 GPa\n    active_fraction: 0.3\n    swelling:\n"
        "      table: {xi: [0, 0.5, 1], volume_change: [0, 0.526, 0.787]}\n",
        "    composition:\n      phases: {s: {material: sulfur, fraction: 0.3}, se: {material: Li6PS5Cl, fraction: 0.7}}\n"
        "    fracture: {tensile_strength: 10 MPa}\n",
    )
    case = load_case_text(text)
    assert case.materials["cathode_S"].fracture.tensile_strength == pytest.approx(10e6)


@pytest.mark.parametrize(
    "geometry, names",
    [
        (STACK, ["cathode/separator", "separator/anode"]),
        (INCLUSION, ["interface"]),
    ],
)
def test_interface_names(geometry, names):
    from chemomech.case.schema import interface_names

    assert interface_names(load_case_text(geometry).geometry) == names
