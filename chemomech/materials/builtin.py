"""Built-in materials, made from the library rows.

Every library material with a Young's modulus and a Poisson ratio is a
non-swelling built-in, except ``sulfur`` and ``Li2S``: these are the two ends
of the active S <-> Li2S phase (active fraction 1), with the sulfur moduli at
xi = 0, the Li2S moduli at xi = 1 and beta = (Li2S volume ratio to S) - 1 =
0.787. They differ only in name (a Li2S cathode starts at xi = 1). A material
with creep parameters in the library (``Li_metal``) creeps where the case
asks for it (``creep: {}`` takes the library law; see materials.inelastic).

The counter electrodes breathe with the charge they exchange (physics.md
section 5): ``Li_metal`` plates and strips (thickness mode, 4.85 um per
mAh/cm², volumetric capacity F / V_m), ``indium`` is the In/LiIn alloy anode
(thickness mode, 2.94 um per mAh/cm², capacity of In -> LiIn, F ρ / M) and
``LTO`` intercalates (volume mode, +0.2 % at full lithiation, capacity ρ Q).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from types import MappingProxyType

from chemomech.materials.library import Property, default_library
from chemomech.materials.material import Breathing, Material, SwellingLaw

ACTIVE = ("sulfur", "Li2S")
FARADAY = 96485.33212
"""Faraday constant, C/mol (exact in the 2019 SI)."""


def library_source(prop: Property) -> str:
    """How a library value is credited in ``sources``: file, source and confidence."""
    return f"{prop.table}: {prop.source} [{prop.confidence}]"


def _elastic(name: str) -> Material:
    props = default_library().get(name)
    E, nu = props["youngs_modulus"], props["poisson_ratio"]
    sources = {"youngs_modulus": library_source(E), "poisson_ratio": library_source(nu)}
    return Material(name, youngs_modulus=E.value, poisson_ratio=nu.value, sources=sources)


def _active(name: str) -> Material:
    lithiated = default_library().get("Li2S")
    E, nu, ratio = lithiated["youngs_modulus"], lithiated["poisson_ratio"], lithiated["volume_ratio_to_S"]
    sulfur = _elastic("sulfur")
    return Material(
        name,
        youngs_modulus=sulfur.youngs_modulus,
        poisson_ratio=sulfur.poisson_ratio,
        active_fraction=1.0,
        swelling=SwellingLaw(beta=round(ratio.value - 1, 12)),
        lithiated_youngs_modulus=E.value,
        lithiated_poisson_ratio=nu.value,
        sources={
            **sulfur.sources,
            "active_fraction": "pure active phase",
            "swelling": library_source(ratio),
            "lithiated_youngs_modulus": library_source(E),
            "lithiated_poisson_ratio": library_source(nu),
        },
    )


def _breathing(name: str) -> tuple[Breathing, dict[str, str]] | None:
    """The breathing law of a counter-electrode material, with its sources, or None."""
    library = default_library()
    if name == "Li_metal":
        props = library.get("Li_metal")
        per_charge, molar = props["thickness_per_capacity"], props["molar_volume"]
        law = Breathing("thickness", FARADAY / molar.value, thickness_per_charge=per_charge.value)
        return law, {"breathing": f"{library_source(per_charge)}; capacity from {library_source(molar)}"}
    if name == "indium":
        alloy, props = library.get("LiIn")["thickness_per_capacity"], library.get("indium")
        density, molar_mass = props["density"], props["molar_mass"]
        capacity = FARADAY * density.value / molar_mass.value
        law = Breathing("thickness", capacity, thickness_per_charge=alloy.value)
        return law, {"breathing": f"{library_source(alloy)}; capacity In -> LiIn from {library_source(density)}"}
    if name == "LTO":
        props = library.get("LTO")
        change, density, specific = props["volume_change"], props["density"], props["specific_capacity"]
        law = Breathing("volume", density.value * specific.value, volume_change=change.value)
        return law, {"breathing": f"{library_source(change)}; capacity from {library_source(specific)}, {library_source(density)}"}
    return None


def _counter_electrode(name: str) -> Material:
    material = _elastic(name)
    found = _breathing(name)
    if found is None:
        return material
    law, sources = found
    return replace(material, breathing=law, sources={**material.sources, **sources})


@cache
def builtin_materials() -> Mapping[str, Material]:
    """Built-in materials by name, in library order (read-only)."""
    library = default_library()
    elastic = [name for name in library.names() if {"youngs_modulus", "poisson_ratio"} <= set(library.get(name))]
    return MappingProxyType({name: _active(name) if name in ACTIVE else _counter_electrode(name) for name in elastic})


SULFUR_SPECIFIC_CAPACITY: float = default_library().get("sulfur")["capacity"].value
"""Theoretical specific capacity of sulfur in C/kg (1672 mAh/g in the library)."""
