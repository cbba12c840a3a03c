"""From a case to one Material per region."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from chemomech.materials.builtin import builtin_materials
from chemomech.materials.inelastic import CompactionLaw, CreepLaw, compaction_defaults
from chemomech.materials.material import Material, SwellingLaw

if TYPE_CHECKING:
    from chemomech.case.schema import Case, MaterialSpec

CASE_FILE = "case file"
"""The source recorded for values given in the case file."""


def _swelling_law(spec: MaterialSpec) -> SwellingLaw:
    table = spec.swelling.table
    return SwellingLaw(
        beta=spec.swelling.beta,
        table=None if table is None else (tuple(table.xi), tuple(table.volume_change)),
    )


def _compaction_law(spec) -> tuple[CompactionLaw, dict[str, str]]:
    """The compaction law of a case block: given values, library defaults for the rest."""
    values, sources = {}, {}
    for key, (default, source) in compaction_defaults().items():
        given = getattr(spec, key)
        values[key], sources[f"compaction.{key}"] = (default, source) if given is None else (given, CASE_FILE)
    porosity = spec.initial_porosity
    if porosity is None:
        porosity = float(CompactionLaw(1.0, **values).heckel_porosity(spec.fabrication_pressure))
    sources["compaction.initial_porosity"] = CASE_FILE
    return CompactionLaw(initial_porosity=porosity, **values), sources


def _creep_law(spec, base: Material | None) -> tuple[CreepLaw, dict[str, str]]:
    """The creep law of a case block: given values over the base material's law.

    An explicit ``yield_stress: null`` removes the base's yield limit.
    """
    given = {
        key: getattr(spec, key)
        for key in spec.model_fields_set
        if getattr(spec, key) is not None or key == "yield_stress"
    }
    inherited = None if base is None else base.creep
    law = CreepLaw(**given) if inherited is None else replace(inherited, **given)
    sources = {
        f"creep.{key}": CASE_FILE if key in given else base.sources.get(f"creep.{key}", "")
        for key in ("reference_rate", "reference_stress", "exponent", "yield_stress")
        if key in given or inherited is not None
    }
    return law, sources


def material_from_spec(name: str, spec: MaterialSpec) -> Material:
    """The material a case file defines: its ``base`` built-in with the given fields replaced."""
    given = {
        "youngs_modulus": spec.youngs_modulus,
        "poisson_ratio": spec.poisson_ratio,
        "active_fraction": spec.active_fraction,
        "swelling": None if spec.swelling is None else _swelling_law(spec),
        "lithiated_youngs_modulus": spec.lithiated and spec.lithiated.youngs_modulus,
        "lithiated_poisson_ratio": spec.lithiated and spec.lithiated.poisson_ratio,
    }
    given = {key: value for key, value in given.items() if value is not None}
    base = None if spec.base is None else builtin_materials()[spec.base]
    sources = {**(base.sources if base else {}), **dict.fromkeys(given, CASE_FILE)}
    if spec.compaction is not None:
        given["compaction"], law_sources = _compaction_law(spec.compaction)
        sources |= law_sources
    if spec.creep is False:
        given["creep"] = None
        sources = {key: value for key, value in sources.items() if not key.startswith("creep.")}
    elif spec.creep is not None:
        given["creep"], law_sources = _creep_law(spec.creep, base)
        sources |= law_sources
    if base is None:
        return Material(name=name, sources=sources, **given)
    return replace(base, name=name, sources=sources, **given)


def resolve_materials(case: Case) -> dict[str, Material]:
    """Region name -> Material: layer names for a stack, "inclusion" and "matrix" otherwise.

    A region's material is the case file's material of that name if there is
    one, else the built-in.
    """
    builtins = builtin_materials()
    return {
        region: material_from_spec(name, case.materials[name]) if name in case.materials else builtins[name]
        for region, name in case.geometry.regions().items()
    }
