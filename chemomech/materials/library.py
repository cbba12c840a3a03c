"""The materials library: ``data/materials.csv`` with units, sources and confidence.

``data/materials.csv`` is a verbatim copy of the project's shared table and
is never edited here; ``data/supplement.csv`` adds, in the same format, the
values chemomech needs that the shared table lacks (densities of the inert
phases of a composite cathode), each with its source.

Each row is one property of one material. Numeric values with a unit are
converted to SI with the shared pint registry; the value as written, the
note, the source and the confidence (verified / secondary / computed /
placeholder) are kept beside it.
"""

from __future__ import annotations

import csv
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

import pint

from chemomech.case.units import ureg


@dataclass(frozen=True)
class Property:
    """One row of the library.

    ``value`` is the SI value (a float) where the written value is a number
    with a known unit, in ``si_unit`` ("" when dimensionless); otherwise it is
    the text as written (ranges, tables) and ``si_unit`` is None.
    """

    material: str
    name: str
    value: float | str
    si_unit: str | None
    written: str
    unit: str
    note: str
    source: str
    confidence: str
    table: str = "materials.csv"
    """The file the row comes from."""


def _to_si(written: str, unit: str) -> tuple[float | str, str | None]:
    """SI value and unit of a written value, or the text and None."""
    try:
        magnitude = float(written)
    except ValueError:
        return written, None
    if unit in ("", "-"):
        return magnitude, ""
    try:
        quantity = (magnitude * ureg.parse_units(unit)).to_base_units()
    except (pint.PintError, ValueError):
        return written, None
    return float(quantity.magnitude), format(quantity.units, "~")


def _property(row: Mapping[str, str], table: str) -> Property:
    value, si_unit = _to_si(row["value"], row["unit"])
    return Property(
        material=row["material"],
        name=row["property"],
        value=value,
        si_unit=si_unit,
        written=row["value"],
        unit=row["unit"],
        note=row["note"],
        source=row["source"],
        confidence=row["confidence"],
        table=table,
    )


class Library:
    """Material properties with sources, by material name."""

    def __init__(self, properties: Iterable[Property]):
        self._by_material: dict[str, dict[str, Property]] = {}
        for prop in properties:
            self._by_material.setdefault(prop.material, {})[prop.name] = prop

    @classmethod
    def read(cls, *paths: Path) -> Library:
        """Parse CSVs with columns material, property, value, unit, note, source, confidence, in order."""
        rows = []
        for path in paths:
            with open(path, newline="", encoding="utf-8") as f:
                rows += (_property(row, Path(path).name) for row in csv.DictReader(f))
        return cls(rows)

    def names(self) -> list[str]:
        """Material names in file order."""
        return list(self._by_material)

    def get(self, name: str) -> Mapping[str, Property]:
        """The properties of one material, by property name."""
        try:
            return self._by_material[name]
        except KeyError:
            close = difflib.get_close_matches(name, self.names())
            raise KeyError(f"no material {name!r} in the library; close: {close}") from None

    def properties(self) -> list[Property]:
        """All rows in file order."""
        return [prop for props in self._by_material.values() for prop in props.values()]


DATA_FILE = Path(str(files("chemomech.materials") / "data" / "materials.csv"))
"""The packaged copy of ../shared/materials.csv."""
SUPPLEMENT_FILE = Path(str(files("chemomech.materials") / "data" / "supplement.csv"))
"""Values chemomech adds to the shared table, with sources (none repeats a row of it)."""


INELASTIC_FILE = DATA_FILE.with_name("inelastic.csv")
"""Parameters of the inelastic laws that materials.csv does not hold, with sources."""


@cache
def default_library() -> Library:
    """The packaged library: the shared table, then the supplement (read once)."""
    return Library.read(DATA_FILE, SUPPLEMENT_FILE)


def library_density(name: str) -> float | None:
    """Density of a library material in kg/m³, or None where the library has none."""
    library = default_library()
    if name not in library.names():
        return None
    density = library.get(name).get("density")
    return density.value if density is not None and isinstance(density.value, float) else None


@cache
def inelastic_library() -> Library:
    """The packaged inelastic-law parameters (read once)."""
    return Library.read(INELASTIC_FILE)
