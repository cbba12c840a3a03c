"""The materials library: ``data/materials.csv`` with units, sources and confidence.

``materials.csv`` is the project's shared table, copied unchanged;
``supplement.csv`` (same columns) adds the few values chemomech needs beyond
it, each with its source. Each row is one property of one material. Numeric values with a unit are
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


def _property(row: Mapping[str, str]) -> Property:
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
    )


class Library:
    """Material properties with sources, by material name."""

    def __init__(self, properties: Iterable[Property]):
        self._by_material: dict[str, dict[str, Property]] = {}
        for prop in properties:
            self._by_material.setdefault(prop.material, {})[prop.name] = prop

    @classmethod
    def read(cls, path: Path) -> Library:
        """Parse a CSV with columns material, property, value, unit, note, source, confidence."""
        with open(path, newline="", encoding="utf-8") as f:
            return cls(map(_property, csv.DictReader(f)))

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
SUPPLEMENT_FILE = DATA_FILE.with_name("supplement.csv")
"""Values beyond the shared table (same columns, sources given)."""


@cache
def default_library() -> Library:
    """The packaged library: the shared table, then the supplement (read once)."""
    return Library([*Library.read(DATA_FILE).properties(), *Library.read(SUPPLEMENT_FILE).properties()])
