"""Closed-form solutions of physics.md section 10, used by the verification tests."""

import math


def lame(E: float, nu: float) -> tuple[float, float]:
    """(μ, λ) from Young's modulus and Poisson's ratio."""
    return E / (2 * (1 + nu)), E * nu / ((1 + nu) * (1 - 2 * nu))


def p_wave_modulus(E: float, nu: float) -> float:
    """M = K + 4G/3 = λ + 2μ (uniaxial-strain modulus)."""
    mu, lmbda = lame(E, nu)
    return lmbda + 2 * mu


def die_axial_stress(s: float, g: float, mu: float, lmbda: float) -> float:
    """10b: σ_zz = (g³/s)[μ(s²/g² − 1) + λ ln(s/g³)] in a rigid die, F = diag(1,1,s)."""
    return g**3 / s * (mu * (s**2 / g**2 - 1) + lmbda * math.log(s / g**3))


def die_constant_gap_stress(g: float, mu: float, lmbda: float) -> float:
    """10b, s = 1: σ_zz = σ_xx = g³[μ(1/g² − 1) − 3λ ln g]."""
    return g**3 * (mu * (1 / g**2 - 1) - 3 * lmbda * math.log(g))


def die_constant_pressure_stretch(p: float, g: float, mu: float, lmbda: float) -> float:
    """10b: the axial stretch s with σ_zz(s) = −p (bisection; σ_zz rises with s)."""
    lo, hi = 1e-3, 10.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if die_axial_stress(mid, g, mu, lmbda) + p > 0:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


def layered_stack_pressure_rise(layers, area: float, frame_stiffness: float) -> float:
    """10c: Δp = Σ h_i (1+ν_i)/(1−ν_i) ε*_i / [Σ h_i / M_i + A / k_f].

    ``layers`` holds (h, E, ν, ε*) per layer; k_f = inf gives the constant gap.
    """
    swelling = sum(h * (1 + nu) / (1 - nu) * eps for h, E, nu, eps in layers)
    compliance = sum(h / p_wave_modulus(E, nu) for h, E, nu, eps in layers)
    return swelling / (compliance + area / frame_stiffness)


def shell_interface_pressure(a: float, b: float, eps: float, Ki: float, Gm: float, Km: float) -> float:
    """10d: p = 12 K_i G_m ε* (1 − f) / [3K_i + 4G_m(1 − f) + 4 G_m f K_i / K_m], f = a³/b³."""
    f = (a / b) ** 3
    return 12 * Ki * Gm * eps * (1 - f) / (3 * Ki + 4 * Gm * (1 - f) + 4 * Gm * f * Ki / Km)


def confined_free_strain(nu: float, isotropic: float, axial: float = 0.0) -> float:
    """Axial strain of a laterally confined, unloaded layer with eigenstrain ε* I + δ e_z⊗e_z.

    (1+ν)/(1−ν) ε* + δ: the lateral part of an isotropic eigenstrain is held
    by the die and pushed into the thickness by Poisson's effect; an axial
    eigenstrain δ (plating, stripping) goes into the thickness unchanged.
    """
    return (1 + nu) / (1 - nu) * isotropic + axial


def stack_pressure_change(layers, area: float, frame_stiffness: float) -> float:
    """10c with any eigenstrains: Δp = Σ h_i e_i / [Σ h_i / M_i + A / k_f].

    ``layers`` holds (h, E, ν, e) per layer, e the confined free strain
    (see confined_free_strain); k_f = inf gives the constant gap.
    """
    swelling = sum(h * e for h, E, nu, e in layers)
    compliance = sum(h / p_wave_modulus(E, nu) for h, E, nu, e in layers)
    return swelling / (compliance + area / frame_stiffness)
