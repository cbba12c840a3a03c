"""Stored-energy functions with growth, written on 3×3 tensors.

Both laws take the displacement gradient H (3×3, see kinematics) and the
growth (inelastic) deformation gradient Fg (3×3: g·I for swelling, with an
axial factor for a plating anode, see material_fields) as UFL expressions,
so one law serves plane strain, axisymmetry and 3D.

Each law splits its energy per reference volume as

    W(H) = W_s(H) + w · λ/2 · Θ(H)²,

with Θ the elastic volumetric strain (ln Je at finite strain, tr(ε − ε*) at
small strain) and w the growth volume factor (Jg at finite strain, 1 at
small strain). ``PressureSplit`` uses that split for the mixed u–p
formulation of near-incompressible solids (see mechanics).
"""

from dataclasses import dataclass

import ufl


@dataclass(frozen=True)
class NeoHookeanGrowth:
    """Compressible neo-Hookean solid with multiplicative growth F = Fe·Fg.

    Energy per reference volume (physics.md sections 2–3)::

        W  = Jg · ψ(Fe),   Fe = F · Fg⁻¹,   Jg = det Fg
        ψ  = μ/2 (tr Ce − 3) − μ ln Je + λ/2 (ln Je)²,   Ce = Feᵀ Fe,  Je = det Fe

    The first Piola stress is P = ∂W/∂F, the Cauchy stress σ = P Fᵀ / J.
    Split: W_s = Jg [μ/2 (tr Ce − 3) − μ ln Je], Θ = ln Je, w = Jg.
    """

    mu: object
    lmbda: object
    Fg: object

    def elastic(self, H):
        """(Fe, Je): Fe = F Fg⁻¹, Je = det Fe."""
        Fe = (ufl.Identity(3) + H) * ufl.inv(self.Fg)
        return Fe, ufl.det(Fe)

    @property
    def volume_factor(self):
        """w = Jg: the energy is per reference volume, ψ per grown volume."""
        return ufl.det(self.Fg)

    def volumetric_strain(self, H):
        """Θ = ln Je."""
        return ufl.ln(self.elastic(H)[1])

    def shear_energy(self, H):
        """W_s = Jg [μ/2 (tr Ce − 3) − μ ln Je]."""
        Fe, Je = self.elastic(H)
        return self.volume_factor * (self.mu / 2 * (ufl.tr(Fe.T * Fe) - 3) - self.mu * ufl.ln(Je))

    def energy(self, H):
        return self.shear_energy(H) + self.volume_factor * self.lmbda / 2 * self.volumetric_strain(H) ** 2

    def first_piola(self, H):
        F = ufl.variable(ufl.Identity(3) + H)
        return ufl.diff(self.energy(F - ufl.Identity(3)), F)

    @staticmethod
    def cauchy_of(P, H):
        """σ = P Fᵀ / det F."""
        F = ufl.Identity(3) + H
        return P * F.T / ufl.det(F)

    def cauchy(self, H):
        return self.cauchy_of(self.first_piola(H), H)


@dataclass(frozen=True)
class NeoHookeanInelastic:
    """The neo-Hookean solid of NeoHookeanGrowth with an inelastic part, F = Fe·Fp·Fg.

    The inelastic state enters through the inverse plastic metric
    Cp⁻¹ = Fp⁻¹ Fp⁻ᵀ (see chemomech.physics.inelastic): with the stress-free
    deformation Fs = Fp Fg, Ce = Fs⁻ᵀ Fᵀ F Fs⁻¹ and Js = det Fs,

        tr Ce = tr(F G Fᵀ),   G = Fs⁻¹ Fs⁻ᵀ = Fg⁻¹ Cp⁻¹ Fg⁻ᵀ,
        Je = J / Js,           Js = det Fg / √det Cp⁻¹,
        W  = Js · ψ(Ce, Je)    (ψ as in NeoHookeanGrowth).

    ``first_piola`` differentiates at fixed Cp⁻¹ (the thermodynamic stress),
    also where Cp⁻¹ is an expression of the displacement.
    """

    mu: object
    lmbda: object
    Fg: object
    Cp_inv: object

    def energy(self, H):
        F = ufl.Identity(3) + H
        Fg_inv = ufl.inv(self.Fg)
        G = Fg_inv * self.Cp_inv * Fg_inv.T
        Js = ufl.det(self.Fg) / ufl.sqrt(ufl.det(self.Cp_inv))
        Je = ufl.det(F) / Js
        psi = (
            self.mu / 2 * (ufl.tr(F * G * F.T) - 3)
            - self.mu * ufl.ln(Je)
            + self.lmbda / 2 * ufl.ln(Je) ** 2
        )
        return Js * psi

    def first_piola(self, H):
        F = ufl.variable(ufl.Identity(3) + H)
        return ufl.diff(self.energy(F - ufl.Identity(3)), F)

    def cauchy(self, H):
        F = ufl.Identity(3) + H
        return self.first_piola(H) * F.T / ufl.det(F)


@dataclass(frozen=True)
class LinearElasticEigenstrain:
    """Small-strain isotropic elasticity with the growth eigenstrain ε* = sym(Fg) − I.

    W = λ/2 tr(ε − ε*)² + μ (ε − ε*):(ε − ε*), σ = ∂W/∂ε, and
    P = σ = Cauchy stress (no distinction at small strain).
    Split: W_s = μ (ε − ε*):(ε − ε*), Θ = tr(ε − ε*), w = 1.
    """

    mu: object
    lmbda: object
    Fg: object

    volume_factor = 1.0

    def elastic_strain(self, H):
        """e = ε − ε*."""
        return ufl.sym(H) - (ufl.sym(self.Fg) - ufl.Identity(3))

    def volumetric_strain(self, H):
        """Θ = tr(ε − ε*)."""
        return ufl.tr(self.elastic_strain(H))

    def shear_energy(self, H):
        """W_s = μ (ε − ε*):(ε − ε*)."""
        e = self.elastic_strain(H)
        return self.mu * ufl.inner(e, e)

    def energy(self, H):
        e = self.elastic_strain(H)
        return self.lmbda / 2 * ufl.tr(e) ** 2 + self.mu * ufl.inner(e, e)

    def first_piola(self, H):
        e = self.elastic_strain(H)
        return self.lmbda * ufl.tr(e) * ufl.Identity(3) + 2 * self.mu * e

    @staticmethod
    def cauchy_of(P, H):
        """σ = P at small strain."""
        return P

    def cauchy(self, H):
        return self.first_piola(H)


@dataclass(frozen=True)
class PressureSplit:
    """A law's λ term carried by an independent pressure p (mixed u–p, Herrmann type).

    With the split W = W_s + w λ/2 Θ² of the base law::

        W(H, p) = W_s(H) + w p Θ(H)           (energy varied in u at fixed p)
        C(H, p) = w (λ Θ(H) − p)              (constraint, tested with q)

    Stationarity in p gives p = λ Θ pointwise, and then W(H, p) has the
    first variation of the base law: the continuum problem is unchanged (so
    are its closed forms). Discretely p lives in a discontinuous space and
    p = λ Θ holds only in its mean per cell, which relaxes the λ term that
    locks near incompressibility. p is the Kirchhoff pressure of the λ term
    (λ ln Je at finite strain) and stays finite as λ → ∞.
    """

    law: object
    pressure: object

    def energy(self, H):
        return self.law.shear_energy(H) + self.law.volume_factor * self.pressure * self.law.volumetric_strain(H)

    def constraint(self, H):
        return self.law.volume_factor * (self.law.lmbda * self.law.volumetric_strain(H) - self.pressure)

    def first_piola(self, H):
        F = ufl.variable(ufl.Identity(3) + H)
        return ufl.diff(self.energy(F - ufl.Identity(3)), F)

    def cauchy(self, H):
        return self.law.cauchy_of(self.first_piola(H), H)


LAWS = {"finite_strain": NeoHookeanGrowth, "small_strain": LinearElasticEigenstrain}
