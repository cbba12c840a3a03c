"""Phase-field parameters of a case's regions, their defaults and the resolution check.

G_c, where the case does not give it, is K_IC²(1 − ν²)/E (plane-strain
Irwin relation, E and ν at the initial lithiation) with the material's
``fracture.fracture_toughness`` of the case, else the library's
``fracture_energy`` of the material (its ``base``, or its own name), else
the Irwin relation with the library's ``fracture_toughness``. ℓ is given, or is the strength-equivalent length of a
given tensile strength (crack_density.CrackDensity.length_for_strength).

``describe`` reports per region G_c, ℓ, the strength σ_c the model has at
that ℓ (homogeneous-bar peak stress, crack_density), the largest cell
diameter h and ℓ/h; ``resolution_warnings`` asks for ℓ ≥ 2h (physics.md
section 8): a coarser mesh over-estimates the toughness by a factor
1 + O(h/ℓ) and pins cracks to the mesh.
"""

import numpy as np
import ufl

from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.materials.library import default_library
from chemomech.physics.fracture.crack_density import CrackDensity
from chemomech.physics.fracture.phase_field import PhaseFieldLaw

MIN_CELLS_PER_LENGTH_SCALE = 2.0


def _library_fracture_energy(name: str, youngs_modulus: float, poisson_ratio: float) -> float | None:
    library = default_library()
    if name not in library.names():
        return None
    props = library.get(name)
    if "fracture_energy" in props:
        return float(props["fracture_energy"].value)
    if "fracture_toughness" in props:
        toughness = float(props["fracture_toughness"].value)
        return toughness**2 * (1 - poisson_ratio**2) / youngs_modulus
    return None


def phase_field_laws(case, materials: dict, xi0: float) -> dict[str, PhaseFieldLaw]:
    """Region -> PhaseFieldLaw for the regions whose material has ``phase_field``.

    Raises ValueError (on every rank: pure Python on the case) when G_c has no default.
    """
    laws = {}
    for region, name in case.geometry.regions().items():
        spec = case.materials.get(name)
        if spec is None or spec.phase_field is None:
            continue
        pf = spec.phase_field
        E, nu = (float(np.asarray(value)) for value in materials[region].moduli(xi0))
        gc = pf.fracture_energy
        toughness = spec.fracture.fracture_toughness if spec.fracture is not None else None
        if gc is None and toughness is not None:
            gc = toughness**2 * (1 - nu**2) / E
        if gc is None:
            gc = _library_fracture_energy(spec.base or name, E, nu)
        if gc is None:
            raise ValueError(
                f"materials.{name}.phase_field.fracture_energy: required (the library has no fracture_energy "
                f"or fracture_toughness for {spec.base or name!r})"
            )
        density = CrackDensity(pf.model)
        ell = pf.length_scale if pf.length_scale is not None else density.length_for_strength(E, gc, pf.strength)
        laws[region] = PhaseFieldLaw(pf.model, gc, ell, pf.split, pf.residual_stiffness)
    return laws


def describe(phase_field, materials: dict, xi0: float) -> dict:
    """Per region: model, split, G_c, ℓ, the implied strength σ_c, h and ℓ/h (collective)."""
    mesh = phase_field.domain.mesh
    owned = mesh.topology.index_map(mesh.topology.dim).size_local
    cell_space = phase_field.domain.cell_space
    diameter = dolfinx.fem.Function(cell_space)
    diameter.interpolate(dolfinx.fem.Expression(ufl.CellDiameter(mesh), cell_space.element.interpolation_points))
    report = {}
    for region, law in phase_field.laws.items():
        cells = phase_field.region_cells[region]
        local = float(np.max(diameter.x.array[cells[cells < owned]], initial=0.0))
        h = mesh.comm.allreduce(local, op=MPI.MAX)
        E = float(np.asarray(materials[region].moduli(xi0)[0]))
        report[region] = {
            "model": law.model,
            "split": law.split,
            "fracture_energy [J/m^2]": law.fracture_energy,
            "length_scale [m]": law.length_scale,
            "strength_at_length_scale [Pa]": law.density.critical_stress(E, law.fracture_energy, law.length_scale),
            "largest_cell [m]": h,
            "length_scale_over_cell [-]": law.length_scale / h if h > 0 else None,
        }
    return report


def resolution_warnings(report: dict) -> list[str]:
    """One warning per region whose ℓ is below MIN_CELLS_PER_LENGTH_SCALE cells."""
    warnings = []
    for region, entry in report.items():
        ratio = entry["length_scale_over_cell [-]"]
        if ratio is not None and ratio < MIN_CELLS_PER_LENGTH_SCALE:
            warnings.append(
                f"region {region!r}: phase-field length scale {entry['length_scale [m]']:.3g} m is {ratio:.2g} "
                f"cells (largest {entry['largest_cell [m]']:.3g} m); resolve it with ℓ ≥ 2h "
                "(refine the mesh or raise length_scale)"
            )
    return warnings
