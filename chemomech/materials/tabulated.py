"""A homogenised RVE as a material: moduli and swelling tabulated in ξ.

``chemomech homogenize`` writes ``homogenized.csv`` (chemomech.upscale.table);
a cell-scale case names it as a material, with one of its two boundary
conditions. Between the tabulated ξ the values are interpolated linearly:

    K(ξ), G(ξ),   E = 9KG / (3K + G),   ν = (3K − 2G) / (2(3K + G)),
    Jg(ξ) = 1 + ΔV(ξ)   (the table's volume_change = (1 + s)³ − 1),

so Fg = Jg^(1/3) I as for any swelling material (physics.md section 2). The
active fraction (the RVE's volume fraction of lithiating phase) weights the
mean lithiation and the capacity of the layer.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

COLUMNS = (
    "xi [-]",
    "boundary_conditions",
    "bulk_modulus [Pa]",
    "shear_modulus [Pa]",
    "youngs_modulus [Pa]",
    "poisson_ratio [-]",
    "swelling_strain [-]",
    "volume_change [-]",
    "hs_lower_bulk [Pa]",
    "hs_upper_bulk [Pa]",
    "hs_lower_shear [Pa]",
    "hs_upper_shear [Pa]",
)
"""The columns of homogenized.csv, one row per ξ and boundary condition."""
BOUNDARY_CONDITIONS = ("uniform_displacement", "uniform_traction")


class TableError(ValueError):
    """A homogenised table that is missing, malformed or lacks the rows asked for."""


def read_table(path: Path, boundary_conditions: str) -> dict[str, np.ndarray]:
    """The numeric columns of one boundary condition's rows, sorted by ξ."""
    try:
        with Path(path).open(newline="") as stream:
            reader = csv.DictReader(stream)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise TableError(f"{path} lacks the columns {missing}; expected a homogenized.csv")
            rows = [row for row in reader if row["boundary_conditions"] == boundary_conditions]
    except OSError as err:
        raise TableError(f"cannot read {path}: {err.strerror or err}") from None
    try:
        rows.sort(key=lambda row: float(row["xi [-]"]))
        table = {key: np.array([float(row[key]) for row in rows]) for key in COLUMNS if key != "boundary_conditions"}
    except ValueError as err:
        raise TableError(f"{path}: {err}") from None
    xi = table["xi [-]"]
    if len(xi) < 2 or xi[0] != 0.0 or xi[-1] != 1.0 or np.any(np.diff(xi) <= 0):
        raise TableError(
            f"{path}: expected {boundary_conditions} rows at distinct xi from 0 to 1, got xi = {xi.tolist()}"
        )
    return table


@dataclass(frozen=True)
class TabulatedMaterial:
    """Moduli and swelling of a homogenised RVE, interpolated in ξ (implements MaterialLaw)."""

    name: str
    xi: tuple[float, ...]
    bulk_modulus: tuple[float, ...]
    shear_modulus: tuple[float, ...]
    volume_change: tuple[float, ...]
    active_fraction: float
    source: str
    breathing = None

    @classmethod
    def from_table(cls, name: str, path: Path, boundary_conditions: str, active_fraction: float):
        table = read_table(path, boundary_conditions)
        return cls(
            name=name,
            xi=tuple(table["xi [-]"]),
            bulk_modulus=tuple(table["bulk_modulus [Pa]"]),
            shear_modulus=tuple(table["shear_modulus [Pa]"]),
            volume_change=tuple(table["volume_change [-]"]),
            active_fraction=active_fraction,
            source=f"{path} ({boundary_conditions})",
        )

    def _bulk_shear(self, xi: ArrayLike) -> tuple:
        return np.interp(xi, self.xi, self.bulk_modulus), np.interp(xi, self.xi, self.shear_modulus)

    def moduli(self, xi: ArrayLike) -> tuple:
        """(E, ν) at ξ."""
        K, G = self._bulk_shear(xi)
        return 9 * K * G / (3 * K + G), (3 * K - 2 * G) / (2 * (3 * K + G))

    def lame(self, xi: ArrayLike) -> tuple:
        """(μ, λ) = (G, K − 2G/3) at ξ."""
        K, G = self._bulk_shear(xi)
        return G, K - 2 * G / 3

    def growth_jacobian(self, xi: ArrayLike) -> np.ndarray | float:
        """Jg(ξ) = 1 + ΔV(ξ)."""
        return 1 + np.interp(xi, self.xi, self.volume_change)

    def growth_stretch(self, xi: ArrayLike) -> np.ndarray | float:
        return np.cbrt(self.growth_jacobian(xi))

    def describe(self) -> dict:
        return {
            "name": self.name,
            "homogenized_table": self.source,
            "xi": list(self.xi),
            "bulk_modulus": list(self.bulk_modulus),
            "shear_modulus": list(self.shear_modulus),
            "volume_change": list(self.volume_change),
            "active_fraction": self.active_fraction,
        }
