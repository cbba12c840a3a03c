"""From a case to one Material per region."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from chemomech.materials.builtin import builtin_materials
from chemomech.materials.material import Breathing, Material, SwellingLaw

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
    if base is None:
        return Material(name=name, sources=dict.fromkeys(given, CASE_FILE), **given)
    sources = {**base.sources, **dict.fromkeys(given, CASE_FILE)}
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
