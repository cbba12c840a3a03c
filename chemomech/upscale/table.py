"""The homogenised table: apparent moduli, swelling and the Hashin–Shtrikman bounds versus ξ.

One row per (ξ, boundary conditions), SI units in every column name:

* ``bulk_modulus [Pa]``, ``shear_modulus [Pa]`` — the isotropic projection of
  the apparent stiffness (chemomech.upscale.voigt), with the matching
  ``youngs_modulus [Pa]`` and ``poisson_ratio [-]``;
* ``swelling_strain [-]`` — the isotropic swelling strain s of the
  equivalent homogeneous material: the mean normal component of the
  apparent swelling strain in 3D; in plane strain, where the in-plane
  free expansion of an isotropic solid is (1 + ν) s, that mean over 1 + ν of
  the projection; ``volume_change [-]`` = (1 + s)³ − 1 is its Jg − 1
  (physics.md section 2);
* ``hs_lower_bulk [Pa]`` … ``hs_upper_shear [Pa]`` — the multiphase
  Hashin–Shtrikman bounds of the RVE's phases at ξ with the meshed volume
  fractions (voids as a phase with K = G = 0): isotropic effective moduli of
  the same phases lie between them (physics.md section 9; for plane strain,
  whose discs are fibres, these spherical-inclusion bounds are only a guide).

The full apparent tensors go to homogenized.json; cell-scale cases read the
table as chemomech.materials.tabulated.TabulatedMaterial.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from chemomech.materials.homogenization import bulk_shear, hashin_shtrikman, youngs_poisson
from chemomech.materials.tabulated import COLUMNS
from chemomech.upscale.voigt import SHEARS, isotropic_projection

if TYPE_CHECKING:
    from chemomech.upscale.apparent import ApparentState



def phase_bounds(materials: dict, fractions: dict[str, float], xi: float) -> dict[str, float]:
    """Hashin–Shtrikman bounds of the regions' materials at ``xi`` with ``fractions`` (``void``: K = G = 0)."""
    names = [name for name in fractions if name != "void"]
    moduli = [bulk_shear(*materials[name].moduli(xi)) for name in names]
    f = [fractions[name] for name in names]
    K = [float(k) for k, _ in moduli]
    G = [float(g) for _, g in moduli]
    if fractions.get("void", 0.0) > 0.0:
        f, K, G = [*f, fractions["void"]], [*K, 0.0], [*G, 0.0]
    lower, upper = (hashin_shtrikman(f, K, G, bound) for bound in ("lower", "upper"))
    return {
        "hs_lower_bulk [Pa]": float(lower.bulk),
        "hs_upper_bulk [Pa]": float(upper.bulk),
        "hs_lower_shear [Pa]": float(lower.shear),
        "hs_upper_shear [Pa]": float(upper.shear),
    }


def table_row(state: ApparentState, bounds: dict[str, float]) -> dict:
    """The table row of one apparent state."""
    K, G = isotropic_projection(state.stiffness)
    E, nu = youngs_poisson(K, G)
    gdim = 3 if state.stiffness.shape == (6, 6) else 2
    swelling = float(np.mean(state.swelling_strain[: SHEARS[gdim]]))
    if gdim == 2:
        swelling /= 1 + float(nu)
    return {
        "xi [-]": state.xi,
        "boundary_conditions": state.boundary_conditions,
        "bulk_modulus [Pa]": K,
        "shear_modulus [Pa]": G,
        "youngs_modulus [Pa]": float(E),
        "poisson_ratio [-]": float(nu),
        "swelling_strain [-]": swelling,
        "volume_change [-]": (1 + swelling) ** 3 - 1,
        **bounds,
    }


def write_table(path: Path, rows: list[dict]) -> None:
    """Write the rows as CSV (written whole, then renamed into place)."""
    partial = path.with_suffix(".csv.partial")
    with partial.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({key: (f"{value:.10g}" if isinstance(value, float) else value) for key, value in row.items()})
    partial.replace(path)
