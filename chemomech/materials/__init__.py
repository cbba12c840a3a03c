"""Materials: the library with sources, built-in materials, homogenised composites and the case's regions."""

from chemomech.materials.builtin import SULFUR_SPECIFIC_CAPACITY, builtin_materials
from chemomech.materials.composite import CompositeMaterial
from chemomech.materials.library import Library, Property, default_library
from chemomech.materials.material import Material, MaterialLaw, SwellingLaw
from chemomech.materials.resolve import material_from_spec, resolve_materials

__all__ = [
    "SULFUR_SPECIFIC_CAPACITY",
    "CompositeMaterial",
    "Library",
    "Material",
    "MaterialLaw",
    "Property",
    "SwellingLaw",
    "builtin_materials",
    "default_library",
    "material_from_spec",
    "resolve_materials",
]
