"""Strength and toughness of the regions' materials for the crack-risk outputs (physics.md section 8).

Per material: the tensile strength σ_t (risk ratio σ1/σ_t), the Weibull
modulus m, scale σ0 and reference volume V0 (failure probability), the
fracture toughness K_IC and the crack geometry factor Y (critical flaw
size). Values come from the library rows of the material, or of a case
material's ``base``, and the case's ``fracture:`` block replaces any of
them; Y defaults to 1.12 (an edge crack). A measure needs all of its
parameters: a region whose material lacks one gets no output for it.

Internal interfaces get a normal strength from the case's ``risk`` block
(per interface, else ``interface_strength``), else the smaller tensile
strength of the two regions they join: a bonded interface is no stronger
than its weaker side, so this default bounds the strength from above and
the opening risk from below.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from chemomech.materials.builtin import library_source
from chemomech.materials.library import default_library
from chemomech.materials.resolve import CASE_FILE

EDGE_CRACK = 1.12
"""Geometry factor Y of a shallow edge crack, the default."""
LIBRARY_FIELDS = ("tensile_strength", "weibull_modulus", "weibull_scale", "weibull_volume", "fracture_toughness")
"""The fracture properties read from the library (same names as the case's fracture block)."""


@dataclass(frozen=True)
class FractureProperties:
    """Strength and toughness of one material, SI (None: unknown); ``sources`` per given value."""

    tensile_strength: float | None = None
    weibull_modulus: float | None = None
    weibull_scale: float | None = None
    weibull_volume: float | None = None
    fracture_toughness: float | None = None
    geometry_factor: float = EDGE_CRACK
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def weibull(self) -> bool:
        """Whether m, σ0 and V0 are all known (the failure probability can be evaluated)."""
        return None not in (self.weibull_modulus, self.weibull_scale, self.weibull_volume)

    @property
    def any(self) -> bool:
        """Whether at least one risk measure can be evaluated."""
        return self.tensile_strength is not None or self.weibull or self.fracture_toughness is not None

    def describe(self) -> dict:
        """The known values and their sources, for summary.json."""
        return {key: value for key, value in asdict(self).items() if value is not None}


def material_fracture(name: str, specs: Mapping) -> FractureProperties:
    """The fracture properties of a built-in or case material ``name`` (``specs``: the case's materials)."""
    spec = specs.get(name)
    library_name = name if spec is None else spec.base
    values: dict = {}
    sources: dict[str, str] = {}
    library = default_library()
    if library_name is not None and library_name in library.names():
        rows = library.get(library_name)
        for key in LIBRARY_FIELDS:
            prop = rows.get(key)
            if prop is not None and isinstance(prop.value, float):
                values[key], sources[key] = prop.value, library_source(prop)
    given = spec.fracture if spec is not None else None
    if given is not None:
        for key in (*LIBRARY_FIELDS, "geometry_factor"):
            if getattr(given, key) is not None:
                values[key], sources[key] = getattr(given, key), CASE_FILE
    if "geometry_factor" not in values:
        sources["geometry_factor"] = "edge crack (default)"
    return FractureProperties(**values, sources=sources)


def region_fracture(case) -> dict[str, FractureProperties]:
    """Region -> fracture properties, for the regions with at least one risk measure."""
    found = {region: material_fracture(name, case.materials) for region, name in case.geometry.regions().items()}
    return {region: props for region, props in found.items() if props.any}


def interface_strengths(case, interfaces: Mapping[str, tuple[str, str]]) -> dict[str, tuple[float, str]]:
    """Interface -> (normal strength in Pa, its source) for the ``interfaces`` (name -> the two regions) with one."""
    risk = case.risk
    fracture = {region: material_fracture(name, case.materials) for region, name in case.geometry.regions().items()}
    strengths = {}
    for name, regions in interfaces.items():
        if name in risk.interfaces:
            strengths[name] = (risk.interfaces[name], CASE_FILE)
        elif risk.interface_strength is not None:
            strengths[name] = (risk.interface_strength, f"{CASE_FILE} (risk.interface_strength)")
        else:
            sides = [(fracture[r].tensile_strength, r) for r in regions if fracture[r].tensile_strength is not None]
            if sides:
                strength, region = min(sides)
                source = fracture[region].sources["tensile_strength"]
                strengths[name] = (strength, f"tensile strength of {region}: {source}")
    return strengths
