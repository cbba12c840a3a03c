"""The damage field of the phase-field regions and the degraded stored energy.

Regions whose material has ``phase_field`` carry the damage d (P1 over the
whole mesh, held at 0 at the nodes that touch no such region) and, per
cell (DG0), G_c, ℓ, k_res, c_w, an AT1 indicator and one indicator χ_s per
energy split s. The stored energy of the mechanics becomes

    W(H, d) = W(H) − Σ_s χ_s (1 − g(d)) W⁺_s(H),   g(d) = (1 − d)² + k_res,

which is g(d) W⁺ + W⁻ in a region with split s (W⁺ + W⁻ = W, see split)
and the undamaged W elsewhere.
"""

from dataclasses import dataclass

import numpy as np
import ufl

from chemomech.dolfinx_compat import dolfinx
from chemomech.physics.fracture.crack_density import CrackDensity, degradation
from chemomech.physics.fracture.split import SPLITS, energy_split


@dataclass(frozen=True)
class PhaseFieldLaw:
    """The phase-field parameters of one material (SI)."""

    model: str  # AT1 | AT2
    fracture_energy: float  # G_c, J/m²
    length_scale: float  # ℓ, m
    split: str = "volumetric_deviatoric"
    residual_stiffness: float = 1e-6  # k_res

    @property
    def density(self) -> CrackDensity:
        return CrackDensity(self.model)


class PhaseField:
    """Damage d and the per-cell phase-field parameters of the regions that crack."""

    def __init__(self, domain, laws: dict[str, PhaseFieldLaw]):
        """``laws``: region name -> PhaseFieldLaw, for the regions with a phase field."""
        mesh = domain.mesh
        self.domain = domain
        self.laws = laws
        self.kind = domain.kind
        self.space = dolfinx.fem.functionspace(mesh, ("Lagrange", 1))
        self.d = dolfinx.fem.Function(self.space, name="damage")
        cells_space = domain.cell_space

        def cell_field(name):
            return dolfinx.fem.Function(cells_space, name=name)

        self.fracture_energy = cell_field("fracture_energy")
        self.length_scale = cell_field("length_scale")
        self.residual_stiffness = cell_field("residual_stiffness")
        self.c_w = cell_field("crack_density_normalisation")
        self.at1 = cell_field("at1_indicator")
        self.split_indicators = {split: cell_field(f"{split}_indicator") for split in SPLITS}
        self.length_scale.x.array[:] = 1.0  # any positive value outside the regions (never integrated)
        self.c_w.x.array[:] = 1.0
        self.region_cells = {}
        for name, law in laws.items():
            cells = self.region_cells[name] = domain.region_cells[name]
            self.fracture_energy.x.array[cells] = law.fracture_energy
            self.length_scale.x.array[cells] = law.length_scale
            self.residual_stiffness.x.array[cells] = law.residual_stiffness
            self.c_w.x.array[cells] = law.density.c_w
            self.at1.x.array[cells] = 1.0 if law.model == "AT1" else 0.0
            self.split_indicators[law.split].x.array[cells] = 1.0
        self.splits = sorted({law.split for law in laws.values()})
        self.indicator = sum(self.split_indicators[s] for s in self.splits)
        self.tags = tuple(domain.regions[name] for name in laws)
        self.has_at1 = any(law.model == "AT1" for law in laws.values())

    @property
    def degradation(self):
        """g(d) = (1 − d)² + k_res (UFL)."""
        return degradation(self.d, self.residual_stiffness)

    def w(self, d):
        """w(d) per cell: d (AT1) or d² (AT2)."""
        return self.at1 * d + (1 - self.at1) * d**2

    def density(self, d):
        """Crack area per volume γ = (1/c_w)(w(d)/ℓ + ℓ |∇d|²) (UFL)."""
        return (self.w(d) / self.length_scale + self.length_scale * ufl.dot(ufl.grad(d), ufl.grad(d))) / self.c_w

    def tensile_energy(self, law, H):
        """W⁺ of the region's split (UFL; zero outside the phase-field regions)."""
        return sum(self.split_indicators[s] * energy_split(law, H, s, self.kind)[0] for s in self.splits)

    def degrade(self, law) -> "DegradedLaw":
        """``law`` with its tensile energy degraded by g(d) in the phase-field regions."""
        return DegradedLaw(law, self)

    def free_dofs(self) -> np.ndarray:
        """Local indices of the d dofs on a phase-field cell (on any rank)."""
        marker = dolfinx.fem.Function(self.space)
        for cells in self.region_cells.values():
            marker.x.array[self.space.dofmap.list[cells].ravel()] = 1.0
        marker.x.scatter_reverse(dolfinx.la.InsertMode.add)
        marker.x.scatter_forward()
        return np.flatnonzero(marker.x.array > 0).astype(np.int32)


@dataclass(frozen=True)
class DegradedLaw:
    """W(H, d) = W(H) − χ (1 − g(d)) W⁺(H); stresses by differentiation."""

    law: object
    phase_field: PhaseField

    def energy(self, H):
        degraded = (1 - self.phase_field.degradation) * self.phase_field.tensile_energy(self.law, H)
        return self.law.energy(H) - degraded

    def first_piola(self, H):
        F = ufl.variable(ufl.Identity(3) + H)
        return ufl.diff(self.energy(F - ufl.Identity(3)), F)

    def cauchy(self, H):
        return self.law.cauchy_of(self.first_piola(H), H)
