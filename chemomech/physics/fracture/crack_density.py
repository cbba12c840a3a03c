"""Regularised crack surface densities AT1 and AT2 and the degradation function.

With the damage d ∈ [0, 1], the fracture energy G_c and the length scale ℓ,
the crack surface per volume and the energy of a crack are

    γ(d, ∇d) = (1/c_w) (w(d)/ℓ + ℓ |∇d|²),      E_crack = G_c ∫ γ dV,
    AT1: w(d) = d,   c_w = 8/3;      AT2: w(d) = d²,  c_w = 2,

(Pham, Amor, Marigo & Maurini, Int. J. Damage Mech. 2011; Tanné et al.,
J. Mech. Phys. Solids 2018), so that ∫ γ dV over a fully formed crack
(d = 1 on a line or surface, its optimal profile across) equals the crack
area. The elastic energy that drives cracking is degraded by

    g(d) = (1 − d)² + k_res

with a small residual stiffness k_res keeping the broken material's
tangent positive.

Homogeneous 1D bar under uniaxial stress (Young's modulus E, all the
energy Eε²/2 degradable): AT1 stays elastic (d = 0) up to the peak stress

    σ_c = √(3 E G_c / (8ℓ)),

and AT2 damages from the first strain, d = Eε²ℓ / (Eε²ℓ + G_c), with its
stress σ = (1 − d)² E ε peaking at σ_c = (3/16) √(3 E G_c / ℓ)
(physics.md sections 8 and 10g). Inverting either gives the length scale
that makes the model's strength a given tensile strength σ_t ("strength-
equivalent ℓ"): AT1 ℓ = 3 E G_c / (8 σ_t²), AT2 ℓ = 27 E G_c / (256 σ_t²).
"""

import math
from dataclasses import dataclass

import ufl

MODELS = ("AT1", "AT2")


@dataclass(frozen=True)
class CrackDensity:
    """The AT1 or AT2 crack density of one material."""

    model: str

    def __post_init__(self):
        if self.model not in MODELS:
            raise ValueError(f"unknown phase-field model {self.model!r}; expected one of {MODELS}")

    @property
    def c_w(self) -> float:
        """Normalisation c_w = 4 ∫₀¹ √w(s) ds: 8/3 (AT1), 2 (AT2)."""
        return 8.0 / 3.0 if self.model == "AT1" else 2.0

    def w(self, d):
        """Local dissipation w(d): d (AT1) or d² (AT2); d may be a UFL expression."""
        return d if self.model == "AT1" else d**2

    def w_prime(self, d):
        """dw/dd: 1 (AT1) or 2d (AT2)."""
        return 1.0 + 0.0 * d if self.model == "AT1" else 2 * d

    def density(self, d, grad_d, length_scale):
        """γ = (1/c_w)(w(d)/ℓ + ℓ |∇d|²), crack area per volume."""
        return (self.w(d) / length_scale + length_scale * ufl.dot(grad_d, grad_d)) / self.c_w

    def critical_stress(self, youngs_modulus: float, fracture_energy: float, length_scale: float) -> float:
        """Peak stress σ_c of the homogeneous bar (AT1: elastic limit)."""
        ratio = youngs_modulus * fracture_energy / length_scale
        if self.model == "AT1":
            return math.sqrt(3.0 * ratio / 8.0)
        return 3.0 / 16.0 * math.sqrt(3.0 * ratio)

    def length_for_strength(self, youngs_modulus: float, fracture_energy: float, strength: float) -> float:
        """The ℓ whose σ_c equals ``strength``."""
        factor = 3.0 / 8.0 if self.model == "AT1" else 27.0 / 256.0
        return factor * youngs_modulus * fracture_energy / strength**2


def degradation(d, residual_stiffness: float):
    """g(d) = (1 − d)² + k_res."""
    return (1 - d) ** 2 + residual_stiffness


def degradation_slope(d):
    """g'(d) = −2 (1 − d)."""
    return -2 * (1 - d)
