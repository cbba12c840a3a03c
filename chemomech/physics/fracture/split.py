"""Split of the stored energy into a part that cracks and a part that does not.

The laws of chemomech.physics.constitutive store W = w ψ per reference
volume (w = Jg at finite strain, 1 at small strain). Phase-field fracture
degrades only the part W⁺ = w ψ⁺ of the energy, W(d) = g(d) W⁺ + W⁻, so that
compression does not open cracks. Both splits are exact (W⁺ + W⁻ = W), and
both pieces are non-negative and C¹ across the switch.

Volumetric–deviatoric (Amor, Marigo & Maurini, J. Mech. Phys. Solids 2009,
here for the compressible neo-Hookean ψ of physics.md section 3)::

    ψ_vol(Je) = ψ(Je^(1/3) I) = 3μ/2 (Je^(2/3) − 1) − μ ln Je + λ/2 (ln Je)²
    ψ_dev     = ψ − ψ_vol     = μ/2 (tr Ce − 3 Je^(2/3)) = μ/2 Je^(2/3) (Ī₁ − 3)
    ψ⁺ = ψ_dev + [Je > 1] ψ_vol,   ψ⁻ = [Je ≤ 1] ψ_vol

ψ_vol is convex in ln Je with its minimum 0 at Je = 1; ψ_dev ≥ 0 (Ī₁ ≥ 3)
and vanishes for a pure dilatation. At small strain (e = ε − ε*,
K = λ + 2μ/3): ψ_vol = K/2 (tr e)², ψ_dev = μ dev e : dev e.

Spectral (Miehe, Welschinger & Hofacker, Int. J. Numer. Meth. Eng. 2010),
on the principal logarithmic elastic strains e_i = ½ ln c_i (c_i the
eigenvalues of Ce, Σ e_i = ln Je), in which the neo-Hookean ψ separates
exactly::

    ψ = λ/2 (Σ e_i)² + μ Σ φ(e_i),   φ(e) = (e^(2e) − 1)/2 − e  (≥ 0, ~ e²)
    ψ± = λ/2 ⟨Σ e_i⟩±² + μ Σ [±e_i > 0] φ(e_i)

with ⟨x⟩± the positive and negative parts. At small strain φ(e) → e² with
e_i the eigenvalues of e: Miehe's split of the linear energy. Only the
eigenvalues enter (UFL differentiates the energy for the stresses), never
the eigenvectors:

* 2D models (plane strain, axisymmetry): the 3×3 tensors are block-diagonal
  (in-plane 2×2 block, out-of-plane value), and the eigenvalues of the block
  are (a+b)/2 ± √(((a−b)/2)² + c² + δ²).
* 3D: the trigonometric form of Cardano's formula (Smith, Comm. ACM 4, 1961)::

      q = tr A/3,  B = A − qI,  p = √(tr(B²)/6 + δ²),  r = det B/(2p³),
      θ = arccos(clamp(r, −1 + η, 1 − η))/3,
      λ₁ = q + 2p cos θ,  λ₃ = q + 2p cos(θ + 2π/3),  λ₂ = 3q − λ₁ − λ₃.

δ = 1e-12 keeps the derivatives finite at three equal eigenvalues (where
they multiply vanishing differences). At two equal eigenvalues r = ±1 is an
extremum of r, so ∂r/∂A = 0 there and the clamp (η = 1e-12, which moves the
pair apart by about 1e-6 p) changes no first derivative; it keeps arccos'
finite. A pair that straddles the switch e_i = 0 meets it where φ and φ'
vanish, so the split stays C¹.
"""

import math

import ufl

SPLITS = ("volumetric_deviatoric", "spectral")
EIGENVALUE_REGULARISATION = 1e-24  # δ² in the eigenvalue formulas
ARCCOS_MARGIN = 1e-12  # η: r is clamped to [−1 + η, 1 − η]


def _positive(x):
    return ufl.conditional(ufl.gt(x, 0), x, 0)


def _negative(x):
    return ufl.conditional(ufl.lt(x, 0), x, 0)


def planar_eigenvalues(A):
    """Eigenvalues of a symmetric 3×3 tensor whose (0,1) block is decoupled from index 2."""
    mean = (A[0, 0] + A[1, 1]) / 2
    radius = ufl.sqrt(((A[0, 0] - A[1, 1]) / 2) ** 2 + A[0, 1] ** 2 + EIGENVALUE_REGULARISATION)
    return mean + radius, mean - radius, A[2, 2]


def symmetric_eigenvalues(A):
    """Eigenvalues λ₁ ≥ λ₂ ≥ λ₃ of a symmetric 3×3 tensor (the trigonometric Cardano formula above)."""
    q = ufl.tr(A) / 3
    B = A - q * ufl.Identity(3)
    p = ufl.sqrt(ufl.tr(B * B) / 6 + EIGENVALUE_REGULARISATION)
    r = ufl.det(B) / (2 * p**3)
    clamped = ufl.max_value(ufl.min_value(r, 1 - ARCCOS_MARGIN), -1 + ARCCOS_MARGIN)
    theta = ufl.acos(clamped) / 3
    largest = q + 2 * p * ufl.cos(theta)
    smallest = q + 2 * p * ufl.cos(theta + 2 * math.pi / 3)
    return largest, 3 * q - largest - smallest, smallest


def eigenvalues(A, kind: str):
    """Eigenvalues of a symmetric 3×3 tensor of a ``kind`` model (block-diagonal in 2D)."""
    return symmetric_eigenvalues(A) if kind == "3d" else planar_eigenvalues(A)


def _finite_strain(law, H, split, kind):
    Fe, Je = law.elastic(H)
    mu, lmbda, w = law.mu, law.lmbda, law.volume_factor
    log_je = ufl.ln(Je)
    if split == "volumetric_deviatoric":
        cube = Je ** (2.0 / 3.0)
        volumetric = 3 * mu / 2 * (cube - 1) - mu * log_je + lmbda / 2 * log_je**2
        deviatoric = mu / 2 * (ufl.tr(Fe.T * Fe) - 3 * cube)
        opening = ufl.gt(Je, 1)
        return w * (deviatoric + ufl.conditional(opening, volumetric, 0)), w * ufl.conditional(opening, 0, volumetric)
    stretches = eigenvalues(Fe.T * Fe, kind)
    shear = [(c - 1) / 2 - ufl.ln(c) / 2 for c in stretches]  # φ(e) with e = ½ ln c
    stretching = [ufl.gt(c, 1) for c in stretches]  # e_i > 0
    plus = lmbda / 2 * _positive(log_je) ** 2 + mu * sum(ufl.conditional(t, s, 0) for t, s in zip(stretching, shear))
    minus = lmbda / 2 * _negative(log_je) ** 2 + mu * sum(ufl.conditional(t, 0, s) for t, s in zip(stretching, shear))
    return w * plus, w * minus


def _small_strain(law, H, split, kind):
    e = law.elastic_strain(H)
    mu, lmbda = law.mu, law.lmbda
    trace = ufl.tr(e)
    if split == "volumetric_deviatoric":
        bulk = lmbda + 2 * mu / 3
        deviator = ufl.dev(e)
        deviatoric = mu * ufl.inner(deviator, deviator)
        return deviatoric + bulk / 2 * _positive(trace) ** 2, bulk / 2 * _negative(trace) ** 2
    strains = eigenvalues(e, kind)
    plus = lmbda / 2 * _positive(trace) ** 2 + mu * sum(_positive(s) ** 2 for s in strains)
    minus = lmbda / 2 * _negative(trace) ** 2 + mu * sum(_negative(s) ** 2 for s in strains)
    return plus, minus


def energy_split(law, H, split: str, kind: str):
    """(W⁺, W⁻) of ``law`` (NeoHookeanGrowth or LinearElasticEigenstrain) at the displacement gradient H."""
    if split not in SPLITS:
        raise ValueError(f"unknown energy split {split!r}; expected one of {SPLITS}")
    if hasattr(law, "elastic_strain"):
        return _small_strain(law, H, split, kind)
    return _finite_strain(law, H, split, kind)
