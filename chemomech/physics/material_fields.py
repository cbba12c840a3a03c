"""Piecewise-constant (DG0) material and growth fields over tagged regions.

Each region carries one Material; the fields hold, per cell, the Lamé
parameters μ(ξ), λ(ξ) and the growth stretch

    g = (Jg(ξ) / Jg(ξ₀))^(1/3),   Jg(ξ) = 1 + f_a ΔV(ξ)

so that the reference configuration is the fabricated state at ξ₀ (a Li2S
cathode starts at ξ₀ = 1 and shrinks on charge). f_a is the region's active
volume fraction and ΔV(ξ) the active phase's volume change. The counter
electrode of a stack (see electrode_balance) instead grows with the charge
it exchanges: g and the axial stretch a come from its breathing law.

Spatially varying lithiation (``lithiate_from``): regions whose ξ comes
from a field (the concentration of a transport model, ξ = c / c_max, or a
through-thickness profile of an electrode model) take, per cell K, ξ_K =
the field at the cell's midpoint, and μ, λ, g from the material laws at
ξ_K (any law: tables, homogenised composites). For a P1 field the midpoint
value is the cell mean of ξ. With P1 displacements (constant strain per
cell, one-point quadrature in plane strain and 3D) the mechanics only sees
each cell's mean eigenstrain, ∫_K C ε*(ξ) : ε(v) dx = |K| C ⟨ε*⟩_K : ε(v),
and ⟨ε*(ξ)⟩_K = ε*(ξ_K) + O(h²) for a smooth ξ: per cell loses nothing
against per quadrature point there. With P2 displacements (linear strain
per cell) the cell-wise eigenstrain is a first-order approximation of a
varying ξ. ξ is clipped to [0, 1], where the laws are defined (the
transport's xi_min/xi_max columns show any excursion).
"""

import numpy as np
import ufl

from chemomech.dolfinx_compat import dolfinx


class MaterialFields:
    """DG0 fields μ, λ, g and ξ, updated from a uniform lithiation or, per cell, from a field."""

    def __init__(self, domain, materials: dict, xi_initial: float, balance=None):
        space = domain.cell_space
        self.mu = dolfinx.fem.Function(space, name="shear_modulus")
        self.lmbda = dolfinx.fem.Function(space, name="lame_lambda")
        self.g = dolfinx.fem.Function(space, name="growth_stretch")
        # a ≠ 1 only in the counter electrode of a cell balance; a field (and
        # a packed coefficient at every assembly) only there.
        self.axial_growth = None
        if balance is not None and balance.counter is not None:
            self.axial_growth = dolfinx.fem.Function(space, name="axial_growth_stretch")
            self.axial_growth.x.array[:] = 1.0
        self.xi = dolfinx.fem.Function(space, name="lithiation")
        self.active_fraction = dolfinx.fem.Function(space, name="active_fraction")
        self.materials = materials
        self.xi_initial = xi_initial
        self.balance = balance
        self.region_cells = domain.region_cells
        for name, cells in self.region_cells.items():
            self.active_fraction.x.array[cells] = materials[name].active_fraction
        self._local_regions: tuple[str, ...] = ()  # regions whose ξ comes from a field
        self._local_xi = None  # (Expression of that field, DG0 Function it is evaluated into)
        self._uniform_xi = xi_initial
        self.update(xi_initial)

    def lithiate_from(self, regions, xi_field) -> None:
        """Let ``regions`` take ξ per cell from ``xi_field`` (a scalar UFL expression on the mesh).

        The field is read at every ``update`` and ``refresh``; the other
        regions keep the uniform ξ of ``update``.
        """
        space = self.xi.function_space
        self._local_regions = tuple(regions)
        self._local_xi = (
            dolfinx.fem.Expression(xi_field, space.element.interpolation_points),
            dolfinx.fem.Function(space, name="local_lithiation"),
        )
        self.update(self._uniform_xi)

    def update(self, xi: float) -> None:
        """Set every field for a uniform lithiation ξ of the active phase (field-driven regions: ``refresh``)."""
        self._uniform_xi = xi
        for name, cells in self.region_cells.items():
            if name not in self._local_regions:
                self._set(name, cells, xi if self.materials[name].active_fraction > 0 else 0.0)
        if self.balance is not None and self.balance.counter is not None:
            g, a = self.balance.counter_growth(xi)
            cells = self.region_cells[self.balance.counter]
            self.g.x.array[cells] = g
            self.axial_growth.x.array[cells] = a
        self.refresh()

    def refresh(self) -> None:
        """Re-read ξ of the field-driven regions (after their field changed) and scatter every field."""
        if self._local_xi is not None:
            expression, values = self._local_xi
            values.interpolate(expression)
            for name in self._local_regions:
                cells = self.region_cells[name]
                self._set(name, cells, np.clip(values.x.array[cells], 0.0, 1.0))
        for field in (self.mu, self.lmbda, self.g, self.axial_growth, self.xi):
            if field is not None:
                field.x.scatter_forward()

    def _set(self, name: str, cells, xi) -> None:
        """μ, λ, g and ξ of ``cells`` of region ``name`` at ξ (a number or one value per cell)."""
        material = self.materials[name]
        mu, lmbda = material.lame(xi)
        jg = material.growth_jacobian(xi) / material.growth_jacobian(self.xi_initial)
        self.mu.x.array[cells] = mu
        self.lmbda.x.array[cells] = lmbda
        self.g.x.array[cells] = np.cbrt(jg)
        self.xi.x.array[cells] = xi

    def growth_tensor(self, axial: int):
        """Fg = g · (I + (a − 1) e_z ⊗ e_z), diagonal in the 3×3 model basis.

        g is the isotropic swelling stretch and a the extra stretch along the
        stack axis (index ``axial`` of the 3×3 basis) of a layer whose volume
        change goes into its thickness (plating or stripping Li, physics.md
        section 5); a = 1 everywhere else (and without a counter electrode).
        """
        a = self.axial_growth
        stretches = [self.g * a if i == axial and a is not None else self.g for i in range(3)]
        return ufl.as_tensor([[stretches[i] if i == j else 0 for j in range(3)] for i in range(3)])

    @property
    def max_youngs_modulus(self) -> float:
        """Largest Young's modulus over all regions at ξ₀ (sets the force scale of Newton's tolerance)."""
        return max(m.moduli(self.xi_initial)[0] for m in self.materials.values())
