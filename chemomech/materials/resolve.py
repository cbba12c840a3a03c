"""From a case to one material per region: plain Materials and homogenised composites."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from chemomech.materials import homogenization
from chemomech.materials.builtin import builtin_materials, library_source
from chemomech.materials.composite import CompositeMaterial, Phase
from chemomech.materials.inelastic import CompactionLaw, CreepLaw, compaction_defaults, creep_defaults
from chemomech.materials.library import default_library
from chemomech.materials.material import Breathing, Material, MaterialLaw, SwellingLaw
from chemomech.materials.tabulated import TabulatedMaterial

if TYPE_CHECKING:
    from chemomech.case.schema import Case, Composition, MaterialSpec

CASE_FILE = "case file"
"""The source recorded for values given in the case file."""


def _swelling_law(spec: MaterialSpec) -> SwellingLaw:
    table = spec.swelling.table
    return SwellingLaw(
        beta=spec.swelling.beta,
        table=None if table is None else (tuple(table.xi), tuple(table.volume_change)),
    )


def _breathing_law(spec: MaterialSpec, base: Material | None) -> Breathing | None:
    """The case's breathing law; the volumetric capacity may come from the base's law."""
    given = spec.breathing
    if not given.enabled:
        return None
    capacity = given.volumetric_capacity
    if capacity is None:
        capacity = base.breathing.volumetric_capacity
    if given.thickness_per_capacity is not None:
        return Breathing("thickness", capacity, thickness_per_charge=given.thickness_per_capacity)
    return Breathing("volume", capacity, volume_change=given.volume_change)
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
    library = None if base is None else creep_defaults(base.name)
    if inherited is None and library is not None:  # the library law of the base (Li_metal)
        inherited = CreepLaw(**{key: value for key, (value, _) in library.items()})
        base = replace(base, sources={**base.sources, **{f"creep.{k}": src for k, (_, src) in library.items()}})
    law = CreepLaw(**given) if inherited is None else replace(inherited, **given)
    sources = {
        f"creep.{key}": CASE_FILE if key in given else base.sources.get(f"creep.{key}", "")
        for key in ("reference_rate", "reference_stress", "exponent", "yield_stress")
        if key in given or inherited is not None
    }
    return law, sources


def material_from_spec(name: str, spec: MaterialSpec) -> Material:
    """The material a case file defines: its ``base`` built-in with the given fields replaced."""
    base = None if spec.base is None else builtin_materials()[spec.base]
    given = {
        "youngs_modulus": spec.youngs_modulus,
        "poisson_ratio": spec.poisson_ratio,
        "active_fraction": spec.active_fraction,
        "swelling": None if spec.swelling is None else _swelling_law(spec),
        "lithiated_youngs_modulus": spec.lithiated and spec.lithiated.youngs_modulus,
        "lithiated_poisson_ratio": spec.lithiated and spec.lithiated.poisson_ratio,
    }
    given = {key: value for key, value in given.items() if value is not None}
    if spec.breathing is not None:
        given["breathing"] = _breathing_law(spec, base)
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


def material_is_active(name: str, specs: Mapping[str, MaterialSpec]) -> bool:
    """Whether the plain material ``name`` (a case material or a built-in) lithiates and swells."""
    spec = specs.get(name)
    if spec is None:
        return builtin_materials()[name].active_fraction > 0
    if spec.homogenized is not None:
        return spec.homogenized.active_fraction > 0
    if spec.active_fraction is not None:
        return spec.active_fraction > 0
    return spec.base is not None and builtin_materials()[spec.base].active_fraction > 0


def material_density(name: str, specs: Mapping[str, MaterialSpec]) -> tuple[float, str] | None:
    """(density in kg/m³, its source) of a built-in, or of a case material's base; None if unknown."""
    library_name = specs[name].base if name in specs else name
    if library_name is None or library_name not in default_library().names():
        return None
    density = default_library().get(library_name).get("density")
    if density is None or not isinstance(density.value, float):
        return None
    return density.value, library_source(density)


def composite_from_spec(
    name: str, composition: Composition, lookup: Callable[[str], MaterialLaw], specs: Mapping[str, MaterialSpec],
    reference_xi: float,
) -> CompositeMaterial:
    """The homogenised composite of a case's ``composition`` (validated by the schema).

    ``lookup`` gives the plain material of a name; fractions by weight are
    turned into volume fractions with the phase's density, else the library's.
    """
    names = list(composition.phases)
    given = [phase.fraction for phase in composition.phases.values()]
    sources = {"composition": CASE_FILE}
    densities: list[float | None] = []
    for phase_name, phase in composition.phases.items():
        if phase.density is not None:
            densities.append(phase.density)
            sources[f"{phase_name}.density"] = CASE_FILE
        elif composition.basis == "weight":
            density, source = material_density(phase.material, specs)
            densities.append(density)
            sources[f"{phase_name}.density"] = source
        else:
            densities.append(None)
    if composition.basis == "weight":
        solid = homogenization.volume_fractions_from_weight(given, densities)
    else:
        solid = [fraction / sum(given) for fraction in given]
    phases = tuple(
        Phase(phase_name, lookup(phase.material), float(share), phase.fraction, density)
        for (phase_name, phase), share, density in zip(composition.phases.items(), solid, densities, strict=True)
    )
    active = next(p for p, spec in composition.phases.items() if material_is_active(spec.material, specs))
    inert = [(share, phase_name) for phase_name, share in zip(names, solid, strict=True) if phase_name != active]
    matrix = composition.matrix or (max(inert, key=lambda item: item[0])[1] if inert else active)
    return CompositeMaterial(
        name=name,
        phases=phases,
        active=active,
        matrix=matrix,
        reference_porosity=composition.porosity,
        pore_filling=composition.pore_filling,
        scheme=composition.scheme,
        basis=composition.basis,
        reference_xi=reference_xi,
        sources=sources,
    )


def resolve_materials(case: Case) -> dict[str, MaterialLaw]:
    """Region name -> material: layer names for a stack, "inclusion" and "matrix" otherwise.

    A region's material is the case file's material of that name if there is
    one (a composite is built from its phases, with its fractions taken at
    the initial lithiation; a homogenized table is read), else the built-in.
    """
    # Imported here: chemomech.case.protocol imports this package.
    from chemomech.case.protocol import initial_lithiation

    builtins = builtin_materials()
    plain = {
        name: material_from_spec(name, spec)
        for name, spec in case.materials.items()
        if spec.composition is None and spec.homogenized is None
    }
    plain |= {
        name: TabulatedMaterial.from_table(
            name, Path(spec.homogenized.file), spec.homogenized.boundary_conditions, spec.homogenized.active_fraction
        )
        for name, spec in case.materials.items()
        if spec.homogenized is not None
    }

    def lookup(name: str) -> MaterialLaw:
        return plain[name] if name in plain else builtins[name]

    xi0 = initial_lithiation(case.lithiation)
    composites = {
        name: composite_from_spec(name, spec.composition, lookup, case.materials, xi0)
        for name, spec in case.materials.items()
        if spec.composition is not None
    }
    return {
        region: composites[name] if name in composites else lookup(name)
        for region, name in case.geometry.regions().items()
    }
