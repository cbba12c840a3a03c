"""Stored-energy functions with growth, written on 3×3 tensors.

Both laws take the displacement gradient H (3×3, see kinematics) and the
growth (inelastic) deformation gradient Fg (3×3: g·I for swelling, with an
axial factor for a plating anode, see material_fields) as UFL expressions,
so one law serves plane strain, axisymmetry and 3D.
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
    """

    mu: object
    lmbda: object
    Fg: object

    def energy(self, H):
        F = ufl.Identity(3) + H
        Fe = F * ufl.inv(self.Fg)
        Je = ufl.det(Fe)
        Ce = Fe.T * Fe
        psi = (
            self.mu / 2 * (ufl.tr(Ce) - 3)
            - self.mu * ufl.ln(Je)
            + self.lmbda / 2 * ufl.ln(Je) ** 2
        )
        return ufl.det(self.Fg) * psi

    def first_piola(self, H):
        F = ufl.variable(ufl.Identity(3) + H)
        return ufl.diff(self.energy(F - ufl.Identity(3)), F)

    def cauchy(self, H):
        F = ufl.Identity(3) + H
        return self.first_piola(H) * F.T / ufl.det(F)


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
    """

    mu: object
    lmbda: object
    Fg: object

    def _elastic_strain(self, H):
        return ufl.sym(H) - (ufl.sym(self.Fg) - ufl.Identity(3))

    def energy(self, H):
        e = self._elastic_strain(H)
        return self.lmbda / 2 * ufl.tr(e) ** 2 + self.mu * ufl.inner(e, e)

    def first_piola(self, H):
        e = self._elastic_strain(H)
        return self.lmbda * ufl.tr(e) * ufl.Identity(3) + 2 * self.mu * e

    def cauchy(self, H):
        return self.first_piola(H)


LAWS = {"finite_strain": NeoHookeanGrowth, "small_strain": LinearElasticEigenstrain}
