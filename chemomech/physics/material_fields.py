"""Piecewise-constant (DG0) material and growth fields over tagged regions.

Each region carries one Material; the fields hold, per cell, the Lamé
parameters μ(ξ), λ(ξ) and the growth stretch

    g = (Jg(ξ) / Jg(ξ₀))^(1/3),   Jg(ξ) = 1 + f_a ΔV(ξ)

so that the reference configuration is the fabricated state at ξ₀ (a Li2S
cathode starts at ξ₀ = 1 and shrinks on charge). f_a is the region's active
volume fraction and ΔV(ξ) the active phase's volume change.
"""

import numpy as np

from chemomech.dolfinx_compat import dolfinx


class MaterialFields:
    """DG0 fields μ, λ, g and ξ, updated from a lithiation state per region."""

    def __init__(self, domain, materials: dict, xi_initial: float):
        mesh = domain.mesh
        space = dolfinx.fem.functionspace(mesh, ("DG", 0))
        self.mu = dolfinx.fem.Function(space, name="shear_modulus")
        self.lmbda = dolfinx.fem.Function(space, name="lame_lambda")
        self.g = dolfinx.fem.Function(space, name="growth_stretch")
        self.xi = dolfinx.fem.Function(space, name="lithiation")
        self.active_fraction = dolfinx.fem.Function(space, name="active_fraction")
        self.materials = materials
        self.xi_initial = xi_initial
        self.region_cells = {
            name: domain.cell_tags.find(tag) for name, tag in domain.regions.items()
        }
        for name, cells in self.region_cells.items():
            self.active_fraction.x.array[cells] = materials[name].active_fraction
        self.update(xi_initial)

    def update(self, xi: float) -> None:
        """Set every field for a uniform lithiation ξ of the active phase."""
        for name, cells in self.region_cells.items():
            material = self.materials[name]
            mu, lmbda = material.lame(xi)
            jg = material.growth_jacobian(xi) / material.growth_jacobian(self.xi_initial)
            self.mu.x.array[cells] = mu
            self.lmbda.x.array[cells] = lmbda
            self.g.x.array[cells] = np.cbrt(jg)
            self.xi.x.array[cells] = xi if material.active_fraction > 0 else 0.0
        for field in (self.mu, self.lmbda, self.g, self.xi):
            field.x.scatter_forward()

    @property
    def max_youngs_modulus(self) -> float:
        """Largest Young's modulus over all regions at ξ₀ (sets the force scale of Newton's tolerance)."""
        return max(m.moduli(self.xi_initial)[0] for m in self.materials.values())
