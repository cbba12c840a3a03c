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


def plane_strain_constants(E: float, nu: float) -> tuple[float, float]:
    """(E', ν') = (E / (1 − ν²), ν / (1 − ν)): plane-stress formulas with these hold in plane strain."""
    return E / (1 - nu**2), nu / (1 - nu)


def cantilever_displacement(x, y, *, load: float, length: float, depth: float, E: float, nu: float):
    """Cantilever under a parabolic end shear (Timoshenko & Goodier §21), plane strain.

    Beam 0 < x < L, |y| < D/2, unit depth, I = D³/12; the end x = L carries the
    shear traction t_y = P/(2I) (D²/4 − y²) (resultant P, upward) and the end
    x = 0 is held at this displacement (E', ν' of plane_strain_constants):
        u_x = −P y / (6E'I) [(6L − 3x) x + (2 + ν')(y² − D²/4)]
        u_y =  P / (6E'I) [3ν' y² (L − x) + (4 + 5ν') D² x / 4 + (3L − x) x²]
    with σ_xx = −P (L − x) y / I and σ_xy = P/(2I)(D²/4 − y²).
    """
    Ep, nup = plane_strain_constants(E, nu)
    inertia = depth**3 / 12
    c = load / (6 * Ep * inertia)
    L, D = length, depth
    ux = -c * y * ((6 * L - 3 * x) * x + (2 + nup) * (y**2 - D**2 / 4))
    uy = c * (3 * nup * y**2 * (L - x) + (4 + 5 * nup) * D**2 * x / 4 + (3 * L - x) * x**2)
    return ux, uy


def cantilever_tip_deflection(*, load: float, length: float, depth: float, E: float, nu: float) -> float:
    """u_y at x = L (the same at every y): P L³/(3E'I) + (4 + 5ν') P D² L / (24 E'I)."""
    return cantilever_displacement(length, 0.0, load=load, length=length, depth=depth, E=E, nu=nu)[1]


def confined_block_cosine_deflection(*, amplitude: float, width: float, height: float, E: float, nu: float) -> float:
    """Top deflection amplitude of a block in a frictionless die under a cosine plunger pressure.

    Plane strain block 0 < x < L, 0 < z < H between frictionless walls
    (u_x = 0, shear-free at x = 0, L) on a frictionless base (u_z = 0); the
    top carries σ_zz = −p₁ cos kx, k = π/L, shear free. With the Airy
    function φ = cos kx · [A cosh kz + B kz sinh kz] (the conditions at
    z = 0 remove the other two terms) the top deflection is

        u_z(x, H) = −(2 p₁ / (E' k)) · sinh²η / (sinh η cosh η + η) · cos kx,   η = kH,

    which tends to the half-plane value −2 p₁ cos kx / (E' k) as η → ∞. The
    material must flow from under the load to the sides: near
    incompressibility, u_z ≈ −p₁/(2μk) · (…) is set by the shear modulus.
    Returns the signed amplitude (negative: pressed down where cos kx = 1).
    """
    Ep, _ = plane_strain_constants(E, nu)
    k = math.pi / width
    eta = k * height
    return -2 * amplitude / (Ep * k) * math.sinh(eta) ** 2 / (math.sinh(eta) * math.cosh(eta) + eta)


def tan_roots(count: int) -> list[float]:
    """The first positive roots λ_n of tan λ = λ (λ_n in (nπ, nπ + π/2)), by bisection."""
    roots = []
    for n in range(1, count + 1):
        lo, hi = n * math.pi + 1e-12, n * math.pi + math.pi / 2 - 1e-12
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if math.tan(mid) - mid > 0:
                hi = mid
            else:
                lo = mid
        roots.append(0.5 * (lo + hi))
    return roots


def sphere_galvanostatic_concentration(x, tau: float, terms: int = 200):
    """c(r, t) / (J R / D) in a sphere filled through its surface at a constant inward flux J from c = 0.

    Crank, The Mathematics of Diffusion, eq. 6.45 (x = r/R, τ = D t / R²):
        c = (J R / D) [3τ + x²/2 − 3/10 − 2 Σ_n sin(λ_n x) / (λ_n² x sin λ_n) e^(−λ_n² τ)],
    tan λ_n = λ_n; for τ → ∞ the profile x²/2 − 3/10 rides on the mean 3τ.
    """
    import numpy as np

    x = np.maximum(np.asarray(x, dtype=float), 1e-12)
    series = sum(
        np.sin(lam * x) / (lam**2 * x * math.sin(lam)) * math.exp(-(lam**2) * tau) for lam in tan_roots(terms)
    )
    return 3 * tau + x**2 / 2 - 3 / 10 - 2 * series


def sphere_diffusion_stresses(x, concentration, E: float, nu: float, omega: float, samples: int = 4001):
    """10e: (σ_rr, σ_θθ) at x = r/R of a free sphere with the eigenstrain Ω c / 3 (small strain).

    σ_rr = 2ΩE/(9(1−ν)) (⟨c⟩_R − ⟨c⟩_r), σ_θθ = ΩE/(9(1−ν)) (2⟨c⟩_R + ⟨c⟩_r − 3c(r)),
    ⟨c⟩_r = (3/r³) ∫₀^r c r'² dr', integrated by the trapezoidal rule on
    ``samples`` radii and interpolated; ``concentration(x)`` gives c at x
    (vectorised).
    """
    import numpy as np

    grid = np.linspace(0.0, 1.0, samples)
    integrand = concentration(grid) * grid**2
    integral = np.concatenate([[0.0], np.cumsum(0.5 * (integrand[1:] + integrand[:-1]) * np.diff(grid))])
    mean = np.empty_like(grid)
    mean[1:] = 3 * integral[1:] / grid[1:] ** 3
    mean[0] = concentration(grid[:1])[0]
    scale = omega * E / (9 * (1 - nu))
    x = np.asarray(x, dtype=float)
    inner = np.interp(x, grid, mean)
    c = concentration(x)
    return 2 * scale * (mean[-1] - inner), scale * (2 * mean[-1] + inner - 3 * c)
def at2_homogeneous_damage(E: float, strain: float, fracture_energy: float, length_scale: float) -> float:
    """10g: d = Eε²ℓ / (Eε²ℓ + G_c) of the AT2 bar under uniaxial stress."""
    drive = E * strain**2 * length_scale
    return drive / (drive + fracture_energy)


def at2_peak_stress(E: float, fracture_energy: float, length_scale: float) -> float:
    """Sections 8, 10g: σ_c = (3/16) √(3 E G_c / ℓ)."""
    return 3.0 / 16.0 * math.sqrt(3.0 * E * fracture_energy / length_scale)


def at1_elastic_limit(E: float, fracture_energy: float, length_scale: float) -> float:
    """Sections 8, 10g: σ_c = √(3 E G_c / (8ℓ))."""
    return math.sqrt(3.0 * E * fracture_energy / (8.0 * length_scale))
