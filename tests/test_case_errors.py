"""Malformed cases: every problem names the file, the line (or --set) and the field."""

import pytest

from chemomech.case import CaseError, load_case, load_case_text

# Line numbers below refer to this text; appended sections start at line 13.
BASE = """\
geometry:
  type: stack
  dimension: axisymmetric
  diameter: 10 mm
  layers:
    - {name: cathode, material: sulfur, thickness: 60 um}
    - name: separator
      material: Li6PS5Cl
      thickness: 500 um
fixture:
  type: gap
  preload: 50 MPa
"""
INCLUSION = """\
geometry:
  type: inclusion
  dimension: 3d
  inclusion_radius: 5 um
  outer_radius: 20 um
  inclusion_material: sulfur
  matrix_material: Li6PS5Cl
"""
PARTICLE = """\
geometry:
  type: particle
  dimension: axisymmetric
  radius: 5 um
  material: sulfur
"""

RVE = """\
geometry:
  type: rve
  dimension: 3d
  size: [20 um, 20 um, 20 um]
  matrix: {name: electrolyte, material: Li6PS5Cl}
  particles:
    - {name: active, material: sulfur, volume_fraction: 0.3, radius: 4 um}
    - {name: pores, void: true, volume_fraction: 0.05, radius: 2 um}
"""


def rve(*phases: str) -> str:
    """RVE with more particle phases from line 9 (a carbon phase with the given extra fields, or a whole
    phase mapping), then a fixture."""
    lines = [p if p.startswith("{") else "{name: carbon, material: carbon_black_agglomerate, volume_fraction: 0.1, "
             f"radius: 2 um, {p}}}" for p in phases]
    return RVE + "".join(f"    - {line}\n" for line in lines) + "fixture: {type: gap}\n"


def material(body: str) -> str:
    """BASE with a case material ``m`` whose body starts at line 15."""
    return BASE + "materials:\n  m:\n" + "".join(f"    {line}\n" for line in body.splitlines())


def composite(*phases: str, extra: str = "") -> str:
    """BASE with a composite material ``m``: ``composition:`` at line 15, ``phases:`` at 16, phases from 17."""
    body = "composition:\n" + extra + "  phases:\n" + "".join(f"    {p}\n" for p in phases)
    return material(body)


S_SE = ("s: {material: sulfur, fraction: 0.3}", "se: {material: Li6PS5Cl, fraction: 0.7}")


def step(flow: str) -> str:
    """BASE with a one-step protocol at line 15."""
    return BASE + f"lithiation:\n  protocol:\n    - {flow}\n"


def param(id, text, *expected, overrides=()):
    """A malformed case and its expected problems: (line or --set text or None, field, fragment)."""
    return pytest.param(text, list(overrides), list(expected), id=id)


MALFORMED = [
    # YAML itself
    param("yaml_indentation", "geometry:\n  type: stack\n   dimension: 3d\n", (3, "", "invalid YAML")),
    param("yaml_unclosed_flow", "geometry: {type: stack\nfixture: 1\n", (2, "", "invalid YAML")),
    param("yaml_tab", "geometry:\n\ttype: stack\n", (2, "", "invalid YAML")),
    param("yaml_duplicate_key", BASE + "fixture:\n  type: gap\n", (13, "", "duplicate key")),
    param("empty_file", "", (None, "", "empty")),
    param("comments_only", "# nothing here\n", (None, "", "empty")),
    param("top_level_list", "- geometry\n- fixture\n", (1, "", "top level, got a list")),
    # found by tests/test_case_fuzz.py: each raised something other than CaseError, or hung
    param(
        "yaml_alias_bomb",
        "a0: &a0 [lol, lol]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]\n" for i in range(1, 30)),
        (None, "", "more than 100000 values once its aliases are expanded"),
    ),
    param("yaml_nested_too_deep", "geometry: " + "[" * 400 + "]" * 400 + "\n", (None, "", "nested too deeply")),
    param("yaml_nested_deep", "geometry: " + "[" * 150 + "]" * 150 + "\n", (None, "", "nested more than 100 levels")),
    param("yaml_mapping_as_key", BASE + "!!python/object:object {}: 1\n", (1, "", "keys must be text")),
    param("yaml_unhashable_key", BASE + "? {a: [1]}\n: 2\n", (None, "", "invalid YAML: a key that cannot be used")),
    param("yaml_control_character", BASE + "solver: {}\x08\n", (13, "", "unacceptable character #x0008")),
    param(
        "yaml_duplicate_key_multiline_value",
        BASE + "fixture: |\n  two\n  lines\n",
        (13, "", 'duplicate key "fixture" with value "two lines'),
    ),
    param(
        "unit_power_tower",
        BASE.replace("diameter: 10 mm", "diameter: 1 m*9**9**9"),
        (4, "geometry.diameter", "a unit with long numbers or chained powers"),
    ),
    # unknown keys, with suggestions
    param("unknown_top_key", BASE + "solverr: {}\n", (13, "solverr", "unknown key 'solverr'; did you mean 'solver'?")),
    param(
        "unknown_layer_key",
        BASE.replace("thickness: 500 um", "thicknes: 500 um"),
        (9, "geometry.layers[1].thicknes", "unknown key 'thicknes'; did you mean 'thickness'?"),
        (7, "geometry.layers[1].thickness", "required field is missing"),
    ),
    param(
        "unknown_geometry_key",
        BASE.replace("diameter:", "diametre:"),
        (4, "geometry.diametre", "did you mean 'diameter'?"),
        (1, "geometry.diameter", "required field is missing"),
    ),
    param(
        "unknown_solver_key",
        BASE + "solver:\n  linear_solve: mumps\n",
        (14, "solver.linear_solve", "did you mean 'linear_solver'?"),
    ),
    param(
        "unknown_material_key",
        material("base: sulfur\nyoungs_modulu: 1 GPa"),
        (16, "materials.m.youngs_modulu", "did you mean 'youngs_modulus'?"),
    ),
    param(
        "unknown_step_key",
        step("{step: rest, duration: 1 h, rate: 1}"),
        (15, "lithiation.protocol[0].rate", "unknown key 'rate'"),
    ),
    # missing required fields point at the enclosing mapping
    param("missing_geometry", "fixture: {type: gap}\n", (1, "geometry", "required field is missing")),
    param(
        "missing_thickness",
        BASE.replace(", thickness: 60 um", ""),
        (6, "geometry.layers[0].thickness", "required field is missing"),
    ),
    param("missing_fixture_type", BASE.replace("  type: gap\n", ""), (10, "fixture.type", "required field is missing")),
    param("missing_fixture", BASE.split("fixture:")[0], (1, "fixture", "stack geometries need a fixture")),
    param("missing_step_kind", step("{rate: 0.1 C}"), (15, "lithiation.protocol[0].step", "required field is missing")),
    param(
        "material_without_base", material("youngs_modulus: 1 GPa"), (14, "materials.m.poisson_ratio", "without 'base'")
    ),
    # units
    param(
        "pressure_for_length",
        BASE.replace("60 um", "60 MPa"),
        (6, "geometry.layers[0].thickness", "got '60 MPa', which is not a length"),
    ),
    param(
        "bare_number_length",
        BASE.replace("60 um", "60"),
        (6, "geometry.layers[0].thickness", "expected a positive length like '60 um', got 60"),
    ),
    param("bare_number_pressure", BASE.replace("50 MPa", "50"), (12, "fixture.preload", "like '50 MPa', got 50")),
    param("unknown_unit", BASE.replace("10 mm", "10 mmm"), (4, "geometry.diameter", "'10 mmm'")),
    param("bad_c_rate", step("{step: discharge, rate: 10 min}"), (15, "lithiation.protocol[0].rate", "C-rate")),
    # ranges
    param(
        "negative_thickness",
        BASE.replace("500 um", "-5 um"),
        (9, "geometry.layers[1].thickness", "expected a positive length like '60 um', got '-5 um'"),
    ),
    param("zero_thickness", BASE.replace("500 um", "0 um"), (9, "geometry.layers[1].thickness", "got '0 um'")),
    param(
        "poisson_ratio_half",
        material("youngs_modulus: 1 GPa\npoisson_ratio: 0.5"),
        (16, "materials.m.poisson_ratio", "less than 0.5, got 0.5"),
    ),
    param(
        "active_fraction_above_one",
        material("base: sulfur\nactive_fraction: 1.5"),
        (16, "materials.m.active_fraction", "got 1.5"),
    ),
    param(
        "charge_that_raises_lithiation",
        BASE + "lithiation:\n  protocol:\n    - {step: discharge, rate: 1, until_xi: 0.5}\n    - {step: charge, rate: 1, until_xi: 0.7}\n",
        (16, "lithiation.protocol[1]", "a charge must lower the lithiation"),
    ),
    param(
        "capacity_beyond_full_conversion",
        step("{step: discharge, rate: 0.1 C, until_capacity: 2000 mAh/g}"),
        (15, "lithiation.protocol[0]", "capacity above 1672 mAh/g"),
    ),
    param(
        "until_xi_two",
        step("{step: discharge, rate: 0.1 C, until_xi: 2}"),
        (15, "lithiation.protocol[0].until_xi", "got 2"),
    ),
    param("zero_cycles", BASE + "lithiation:\n  cycles: 0\n", (14, "lithiation.cycles", "at least 1, got 0")),
    param(
        "outer_radius_inside",
        INCLUSION.replace("20 um", "4 um"),
        (5, "geometry.outer_radius", "more than inclusion_radius"),
    ),
    # choices
    param(
        "unknown_dimension", BASE.replace("axisymmetric", "cylindrical"), (3, "geometry.dimension", "got 'cylindrical'")
    ),
    param(
        "unknown_geometry_type",
        BASE.replace("type: stack", "type: stak"),
        (2, "geometry.type", "one of 'stack', 'inclusion', 'particle', 'rve', 'voxel', 'mesh', got 'stak'"),
    ),
    param("unknown_step", step("{step: dischrge, rate: 0.1 C}"), (15, "lithiation.protocol[0].step", "got 'dischrge'")),
    param(
        "element_degree_three",
        BASE + "solver:\n  element_degree: 3\n",
        (14, "solver.element_degree", "expected 1 or 2, got 3"),
    ),
    param(
        "unknown_coupling_acceleration",
        BASE + "solver:\n  coupling:\n    acceleration: {method: aitken}\n",
        (15, "solver.coupling.acceleration.method", "expected 'anderson' or 'none', got 'aitken'"),
    ),
    param(
        "anderson_depth_zero",
        BASE + "solver:\n  coupling:\n    acceleration: {method: anderson, depth: 0}\n",
        (15, "solver.coupling.acceleration.depth", "expected a number of at least 1, got 0"),
    ),
    param("version_two", "version: 2\n" + BASE, (1, "version", "expected 1, got 2")),
    param("not_a_bool", BASE + "outputs: {fields: maybe}\n", (13, "outputs.fields", "true or false")),
    param("geometry_not_mapping", "geometry: 5\nfixture: {type: gap}\n", (1, "geometry", "expected a mapping, got 5")),
    # names and cross-field rules
    param(
        "unknown_material",
        BASE.replace("material: Li6PS5Cl", "material: Li6PS5C"),
        (8, "geometry.layers[1].material", "unknown material 'Li6PS5C'; did you mean 'Li6PS5Cl'?"),
    ),
    param("unknown_base", material("base: sulphur"), (15, "materials.m.base", "did you mean 'sulfur'?")),
    param(
        "phase_field_unknown_model",
        material("base: Li6PS5Cl\nphase_field: {model: AT3, length_scale: 1 um}"),
        (16, "materials.m.phase_field.model", "expected 'AT1' or 'AT2'"),
    ),
    param(
        "phase_field_length_and_strength",
        material("base: Li6PS5Cl\nphase_field: {length_scale: 1 um, strength: 50 MPa}"),
        (16, "materials.m.phase_field.length_scale", "either length_scale or strength, not both"),
    ),
    param(
        "phase_field_without_toughness",
        material("youngs_modulus: 20 GPa\npoisson_ratio: 0.3\nphase_field: {length_scale: 1 um}"),
        (17, "materials.m.phase_field.fracture_energy", "no fracture energy or toughness"),
    ),
    param(
        "duplicate_layer_names",
        BASE.replace("name: separator", "name: cathode"),
        (7, "geometry.layers[1].name", "duplicate layer name 'cathode'"),
    ),
    param(
        "layer_name_not_identifier",
        BASE.replace("name: cathode", "name: 1-cathode"),
        (6, "geometry.layers[0].name", "identifier"),
    ),
    param(
        "no_layers",
        BASE.split("  layers:")[0] + "  layers: []\nfixture: {type: gap}\n",
        (5, "geometry.layers", "at least 1 item"),
    ),
    param(
        "spring_without_stiffness",
        BASE.replace("type: gap", "type: spring"),
        (10, "fixture.frame_stiffness", "'spring' needs it"),
    ),
    param(
        "stiffness_for_gap",
        BASE + "  frame_stiffness: 1e8 N/m\n",
        (13, "fixture.frame_stiffness", "only for fixture type 'spring'"),
    ),
    param(
        "fixture_for_inclusion", INCLUSION + "fixture: {type: gap}\n", (8, "fixture", "only for geometries with a plunger")
    ),
    param(
        "both_step_ends",
        step("{step: charge, rate: 1, until_xi: 0, until_capacity: 10 mAh/g}"),
        (15, "lithiation.protocol[0].until_capacity", "not both"),
    ),
    param(
        "swelling_table_not_increasing",
        material("base: sulfur\nswelling:\n  table: {xi: [0, 0.6, 0.5, 1], volume_change: [0, 1, 2, 3]}"),
        (17, "materials.m.swelling.table.xi", "increasing"),
    ),
    param(
        "swelling_table_lengths",
        material("base: sulfur\nswelling:\n  table: {xi: [0, 1], volume_change: [0, 1, 2]}"),
        (17, "materials.m.swelling.table.volume_change", "expected 2 values"),
    ),
    param(
        "swelling_table_collapse",
        material("base: sulfur\nswelling:\n  table: {xi: [0, 1], volume_change: [0, -1]}"),
        (17, "materials.m.swelling.table.volume_change[1]", "greater than -1"),
    ),
    param(
        "swelling_beta_and_table",
        material("base: sulfur\nswelling:\n  beta: 0.5\n  table: {xi: [0, 1], volume_change: [0, 1]}"),
        (18, "materials.m.swelling.table", "not both"),
    ),
    # electrode balance and counter-electrode breathing
    param(
        "li_anode_stripped_away",
        BASE.replace("fixture:\n", "    - {name: anode, material: Li_metal, thickness: 20 um}\nfixture:\n"),
        (10, "geometry.layers[2].thickness", "would be stripped to 0.0% of its thickness"),
    ),
    param(
        "two_counter_electrodes",
        BASE.replace(
            "fixture:\n",
            "    - {name: anode, material: Li_metal, thickness: 200 um}\n"
            "    - {name: foil, material: indium, thickness: 50 um}\nfixture:\n",
        ),
        (11, "geometry.layers[3].material", "could all be the counter electrode"),
    ),
    param(
        "breathing_both_modes",
        material("base: Li_metal\nbreathing: {thickness_per_capacity: 4.85 um/(mAh/cm2), volume_change: 0.01}"),
        (16, "materials.m.breathing", "exactly one of thickness_per_capacity or volume_change"),
    ),
    param(
        "breathing_capacity_missing",
        material("youngs_modulus: 1 GPa\npoisson_ratio: 0.3\nbreathing: {volume_change: 0.01}"),
        (17, "materials.m.breathing.volumetric_capacity", "required field is missing"),
    ),
    param(
        "breathing_wrong_unit",
        material("base: Li_metal\nbreathing: {thickness_per_capacity: 4.85 um}"),
        (16, "materials.m.breathing.thickness_per_capacity", "not a thickness change per areal capacity"),
    ),
    param(
        "breathing_unknown_word",
        material("base: Li_metal\nbreathing: off"),
        (16, "materials.m.breathing", "'none'"),
    ),
    # fibre Bragg gratings
    param(
        "fbg_zero_axis",
        BASE + "sensors:\n  - {type: fbg, name: f, position: [1 mm, 0 mm, 1 mm], axis: [0, 0, 0], grating_length: 1 mm}\n",
        (14, "sensors[0].axis", "a non-zero direction"),
    ),
    param(
        "fbg_transverse_parallel",
        BASE
        + "sensors:\n  - {type: fbg, name: f, position: [1 mm, 0 mm, 1 mm], axis: [0, 0, 1], transverse: [0, 0, 2],"
        + " grating_length: 1 mm}\n",
        (14, "sensors[0].transverse", "must not be parallel to the axis"),
    ),
    param(
        "fbg_unknown_fibre",
        BASE
        + "sensors:\n  - {type: fbg, name: f, position: [1 mm, 0 mm, 1 mm], axis: [0, 0, 1], grating_length: 1 mm,"
        + " fibre: silica}\n",
        (14, "sensors[0].fibre", "unknown fibre material 'silica'; did you mean 'silica_fibre'?"),
    ),
    param(
        "fbg_position_two_values",
        BASE + "sensors:\n  - {type: fbg, name: f, position: [1 mm, 1 mm], axis: [0, 0, 1], grating_length: 1 mm}\n",
        (14, "sensors[0].position", "at least 3"),
    ),
    param(
        "fbg_duplicate_name",
        BASE
        + "sensors:\n"
        + "  - {type: fbg, name: f, position: [1 mm, 0 mm, 1 mm], axis: [0, 0, 1], grating_length: 1 mm}\n"
        + "  - {type: fbg, name: f, position: [2 mm, 0 mm, 1 mm], axis: [0, 0, 1], grating_length: 1 mm}\n",
        (15, "sensors[1].name", "duplicate sensor name 'f'"),
    ),
    # homogenised composites
    param(
        "composite_fractions_sum",
        composite("s: {material: sulfur, fraction: 0.3}", "se: {material: Li6PS5Cl, fraction: 0.6}"),
        (16, "materials.m.composition.phases", "add up to 1, got 0.9"),
    ),
    param(
        "composite_unknown_phase_material",
        composite(S_SE[0], "se: {material: Li6PS5C, fraction: 0.7}"),
        (18, "materials.m.composition.phases.se.material", "did you mean 'Li6PS5Cl'?"),
    ),
    param(
        "composite_no_active_phase",
        composite("c: {material: PTFE, fraction: 0.3}", S_SE[1]),
        (16, "materials.m.composition.phases", "exactly one active (swelling) phase such as sulfur or Li2S, got none"),
    ),
    param(
        "composite_two_active_phases",
        composite(S_SE[0], "t: {material: sulfur, fraction: 0.2}", "se: {material: Li6PS5Cl, fraction: 0.5}"),
        (16, "materials.m.composition.phases", "got 2: s, t"),
    ),
    param(
        "composite_weight_without_density",
        composite(S_SE[0], "p: {material: PEEK, fraction: 0.7}", extra="  basis: weight\n"),
        (19, "materials.m.composition.phases.p.density", "the library has no density of 'PEEK'"),
    ),
    param(
        "composite_density_by_volume",
        composite(S_SE[0], "se: {material: Li6PS5Cl, fraction: 0.7, density: 1.9 g/cm3}"),
        (18, "materials.m.composition.phases.se.density", "only with basis 'weight'"),
    ),
    param(
        "composite_density_unit",
        composite(S_SE[0], "se: {material: Li6PS5Cl, fraction: 0.7, density: 1.9 GPa}", extra="  basis: weight\n"),
        (19, "materials.m.composition.phases.se.density", "which is not a density"),
    ),
    param(
        "composite_with_moduli",
        material("youngs_modulus: 1 GPa\ncomposition:\n  phases:\n    " + "\n    ".join(S_SE)),
        (15, "materials.m.youngs_modulus", "not with composition"),
    ),
    param(
        "composite_reuss_with_pores",
        composite(*S_SE, extra="  scheme: reuss\n  porosity: 0.1\n"),
        (16, "materials.m.composition.scheme", "reuss gives a composite with pores no stiffness"),
    ),
    param(
        "composite_unknown_matrix",
        composite(*S_SE, extra="  matrix: SE\n"),
        (16, "materials.m.composition.matrix", "unknown phase 'SE'; known: s, se"),
    ),
    param(
        "composite_li2s_phase_for_sulfur_cathode",
        composite("s: {material: Li2S, fraction: 0.3}", S_SE[1]),
        (17, "materials.m.composition.phases.s.material", "lithiation.active_material is 'sulfur'"),
    ),
    param(
        "composite_of_a_composite",
        composite(*S_SE) + "  n:\n    composition:\n      phases: {m: {material: m, fraction: 1}}\n",
        (21, "materials.n.composition.phases.m.material", "expected a plain material, got the composite 'm'"),
    ),
    param(
        "composite_zero_fraction",
        composite("s: {material: sulfur, fraction: 0}", "se: {material: Li6PS5Cl, fraction: 1}"),
        (17, "materials.m.composition.phases.s.fraction", "greater than 0.0, got 0"),
    ),
    param(
        "composite_phase_called_pores",
        composite(S_SE[0], "pores: {material: Li6PS5Cl, fraction: 0.7}"),
        (18, "materials.m.composition.phases.pores", "other than 'pores'"),
    ),
    param(
        "composite_porosity_one",
        composite(*S_SE, extra="  porosity: 1\n"),
        (16, "materials.m.composition.porosity", "less than 1.0, got 1"),
    ),
    # particles attached to a host phase in a generated RVE
    param(
        "rve_attach_to_unknown",
        rve("attach_to: activ, overlap: 0.2"),
        (9, "geometry.particles[2].attach_to", "unknown particle phase 'activ'; did you mean 'active'?"),
    ),
    param("rve_attach_to_void", rve("attach_to: pores, overlap: 0.2"), (9, "geometry.particles[2].attach_to", "void")),
    param(
        "rve_attach_to_itself",
        rve("attach_to: carbon, overlap: 0.2"),
        (9, "geometry.particles[2].attach_to", "cannot attach to itself"),
    ),
    param(
        "rve_attach_to_a_later_phase",
        rve(
            "attach_to: binder, overlap: 0.2",
            "{name: binder, material: carbon_black_agglomerate, volume_fraction: 0.05, radius: 1 um}",
        ),
        (9, "geometry.particles[2].attach_to", "the host 'binder' must be listed before this phase"),
    ),
    param(
        "rve_attach_to_an_attached_phase",
        rve(
            "attach_to: active, overlap: 0.2",
            "{name: binder, material: carbon_black_agglomerate, volume_fraction: 0.05, radius: 1 um,"
            " attach_to: carbon, overlap: 0.2}",
        ),
        (10, "geometry.particles[3].attach_to", "the host 'carbon' is attached itself (to 'active')"),
    ),
    param(
        "rve_overlap_without_attach_to",
        rve("overlap: 0.2"),
        (9, "geometry.particles[2].overlap", "only with attach_to"),
    ),
    param(
        "rve_attached_tangent",
        rve("attach_to: active"),
        (9, "geometry.particles[2].overlap", "at least 0.05 with attach_to (tangent particles cannot be meshed)"),
    ),
    param("rve_overlap_one", rve("attach_to: active, overlap: 1"), (9, "geometry.particles[2].overlap", "less than 1")),
    # the mixed formulation is P2–P0 with LU
    param(
        "mixed_with_p1",
        BASE + "mechanics: {formulation: mixed}\nsolver: {element_degree: 1}\n",
        (14, "solver.element_degree", "mechanics.formulation mixed needs element_degree 2, got 1"),
    ),
    param(
        "mixed_with_gamg",
        BASE + "mechanics: {formulation: mixed}\nsolver:\n  linear_solver: gamg\n",
        (15, "solver.linear_solver", "needs linear_solver 'mumps', got 'gamg'"),
    ),
    param(
        "set_mixed_with_gamg",
        BASE + "solver: {linear_solver: gamg}\n",
        (13, "solver.linear_solver", "needs linear_solver 'mumps'"),
        overrides=["mechanics.formulation=mixed"],
    ),
    param("unknown_formulation", BASE + "mechanics: {formulation: hybrid}\n", (13, "mechanics.formulation", "mixed")),
    # crack risk: fracture properties per material, interface strengths per case
    param(
        "risk_unknown_interface",
        BASE + "risk:\n  interfaces:\n    cathode/separatr: 5 MPa\n",
        (15, "risk.interfaces.cathode/separatr", "did you mean 'cathode/separator'?"),
    ),
    param(
        "risk_inclusion_interface",
        INCLUSION + "risk: {interfaces: {inclusion/matrix: 5 MPa}}\n",
        (8, "risk.interfaces.inclusion/matrix", "known: interface"),
    ),
    param(
        "risk_negative_strength",
        BASE + "risk: {interface_strength: -2 MPa}\n",
        (13, "risk.interface_strength", "expected a positive stress like '0.8 MPa', got '-2 MPa'"),
    ),
    param(
        "fracture_unknown_field",
        material("base: Li6PS5Cl\nfracture: {weibul_modulus: 5}"),
        (16, "materials.m.fracture.weibul_modulus", "did you mean 'weibull_modulus'?"),
    ),
    param(
        "fracture_toughness_units",
        material("base: Li6PS5Cl\nfracture: {fracture_toughness: 0.23 MPa}"),
        (16, "materials.m.fracture.fracture_toughness", "which is not a fracture toughness"),
    ),
    param(
        "fracture_weibull_modulus_zero",
        material("base: Li6PS5Cl\nfracture:\n  weibull_modulus: 0"),
        (17, "materials.m.fracture.weibull_modulus", "greater than 0"),
    ),
    # lithiation model diffusion, the particle geometry, adaptive stepping
    param(
        "diffusion_without_block",
        PARTICLE + "lithiation: {model: diffusion}\n",
        (6, "lithiation.diffusion", "required field is missing (lithiation model 'diffusion' needs it)"),
    ),
    param(
        "diffusion_block_with_uniform",
        PARTICLE + "lithiation:\n  diffusion: {diffusivity: 1e-14 m2/s, stress_assisted: false}\n",
        (7, "lithiation.diffusion", "only for lithiation model 'diffusion', not 'uniform'"),
    ),
    param(
        "diffusion_stress_term_never_silent",
        PARTICLE + "lithiation:\n  model: diffusion\n  diffusion: {diffusivity: 1e-14 m2/s}\n",
        (8, "lithiation.diffusion.stress_assisted", "required field is missing"),
    ),
    param(
        "diffusivity_without_unit",
        PARTICLE + "lithiation:\n  model: diffusion\n  diffusion: {diffusivity: 1e-14, stress_assisted: true}\n",
        (8, "lithiation.diffusion.diffusivity", "expected a positive diffusivity like '1e-14 cm2/s'"),
    ),
    param(
        "diffusion_in_a_passive_region",
        INCLUSION
        + "lithiation:\n  model: diffusion\n  diffusion: {diffusivity: 1e-14 m2/s, stress_assisted: true,"
        " regions: [matrix]}\n",
        (10, "lithiation.diffusion.regions[0]", "region 'matrix' has no active phase"),
    ),
    param(
        "diffusion_unknown_region",
        INCLUSION
        + "lithiation:\n  model: diffusion\n  diffusion: {diffusivity: 1e-14 m2/s, stress_assisted: true,"
        " regions: [inclusio]}\n",
        (10, "lithiation.diffusion.regions[0]", "did you mean 'inclusion'?"),
    ),
    param("particle_without_radius", PARTICLE.replace("  radius: 5 um\n", ""), (1, "geometry.radius", "required field is missing")),
    param(
        "adaptive_with_max_xi_step",
        PARTICLE + "solver:\n  max_xi_step: 0.1\n  adaptive: {initial_time_step: 10 s, min_time_step: 1 s,"
        " max_time_step: 1 h}\n",
        (7, "solver.max_xi_step", "not with adaptive"),
    ),
    param(
        "adaptive_bounds_out_of_order",
        PARTICLE + "solver:\n  adaptive: {initial_time_step: 10 s, min_time_step: 1 min, max_time_step: 1 h}\n",
        (7, "solver.adaptive.initial_time_step", "expected min_time_step <= initial_time_step <= max_time_step"),
    ),
    # --set overrides
    param(
        "set_unknown_item_name",
        BASE,
        ("geometry.layers.cathod.thickness=80 um", "geometry.layers", "did you mean 'cathode'?"),
        overrides=["geometry.layers.cathod.thickness=80 um"],
    ),
    param(
        "set_index_out_of_range",
        BASE,
        ("geometry.layers.5.thickness=80 um", "geometry.layers", "no item 5"),
        overrides=["geometry.layers.5.thickness=80 um"],
    ),
    param(
        "set_into_scalar", BASE, ("fixture.type.x=1", "fixture.type", "not a mapping"), overrides=["fixture.type.x=1"]
    ),
    param("set_without_value", BASE, ("solver.linear_solver", "", "KEY=VALUE"), overrides=["solver.linear_solver"]),
    param(
        "set_bad_value",
        BASE,
        ("geometry.diameter=-1 mm", "geometry.diameter", "got '-1 mm'"),
        overrides=["geometry.diameter=-1 mm"],
    ),
    param(
        "set_unknown_key",
        BASE,
        ("solver.linear_solve=mumps", "solver.linear_solve", "did you mean 'linear_solver'?"),
        overrides=["solver.linear_solve=mumps"],
    ),
]


def expected_prefix(file, where, path) -> str:
    if isinstance(where, str):
        location = f"{file}: --set {where}"
    else:
        location = file if where is None else f"{file}:{where}"
    return f"{location}: {path}: " if path else f"{location}: "


@pytest.mark.parametrize("text, overrides, expected", MALFORMED)
def test_malformed_case(tmp_path, text, overrides, expected):
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CaseError) as info:
        load_case(path, overrides)
    lines = str(info.value).splitlines()
    assert len(lines) == len(info.value.problems) == len(expected), lines
    for where, field, fragment in expected:
        prefix = expected_prefix(str(path), where, field)
        assert any(line.startswith(prefix) and fragment in line for line in lines), (prefix, fragment, lines)
    assert "Traceback" not in str(info.value)


def test_format_and_fields():
    with pytest.raises(CaseError) as info:
        load_case_text(BASE.replace("500 um", "-5 um"), "case.yaml")
    (problem,) = info.value.problems
    assert (
        str(problem)
        == "case.yaml:9: geometry.layers[1].thickness: expected a positive length like '60 um', got '-5 um'"
    )
    assert (problem.file, problem.line, problem.path) == ("case.yaml", 9, "geometry.layers[1].thickness")
    assert (problem.expected, problem.got) == ("a positive length like '60 um'", "'-5 um'")


def test_all_problems_reported():
    text = BASE.replace("500 um", "5 MPa").replace("axisymmetric", "2d") + "solver: {max_cutbacks: -1}\nfoo: 1\n"
    with pytest.raises(CaseError) as info:
        load_case_text(text, "case.yaml", ["outputs.field_every=0"])
    found = {(p.line, p.setting, p.path) for p in info.value.problems}
    assert found == {
        (None, "outputs.field_every=0", "outputs.field_every"),
        (3, None, "geometry.dimension"),
        (9, None, "geometry.layers[1].thickness"),
        (13, None, "solver.max_cutbacks"),
        (14, None, "foo"),
    }


def test_missing_file(tmp_path):
    with pytest.raises(CaseError, match="no such file"):
        load_case(tmp_path / "nothere.yaml")


def test_directory_is_not_a_case(tmp_path):
    with pytest.raises(CaseError, match="cannot read"):
        load_case(tmp_path)
