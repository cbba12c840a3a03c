"""Voigt notation for the apparent tensors, and their isotropic projection.

3D: ε = [ε_xx, ε_yy, ε_zz, γ_yz, γ_xz, γ_xy] with engineering shears γ = 2ε,
σ = [σ_xx, σ_yy, σ_zz, σ_yz, σ_xz, σ_xy], so σ = C ε with C symmetric
(C_44 = G for an isotropic solid). Plane strain (x, z): ε = [ε_xx, ε_zz, γ_xz].

Isotropic projection (the isotropic tensor closest to C in the Frobenius
norm of the 4th-order tensor), 3D:

    K = [C11 + C22 + C33 + 2 (C12 + C13 + C23)] / 9,
    G = [C11 + C22 + C33 − (C12 + C13 + C23) + 3 (C44 + C55 + C66)] / 15.

Plane strain (an isotropic solid has C11 = C22 = λ + 2G, C12 = λ, C33 = G),
with a = (C11 + C22)/2, b = C12, c = C33:

    G = (a − b + 2c) / 4,   λ = (a + b)/2 − G,   K = λ + 2G/3.
"""

import numpy as np

COMPONENTS = {
    3: ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)),
    2: ((0, 0), (1, 1), (0, 1)),
}
"""(i, j) of each Voigt component in the model's 3×3 basis (plane strain: x = 0, z = 1)."""
SHEARS = {3: 3, 2: 2}
"""Index of the first shear component."""


def to_voigt(tensor: np.ndarray, gdim: int, *, strain: bool) -> np.ndarray:
    """The Voigt vector of a symmetric 3×3 tensor (engineering shears for a strain)."""
    vector = np.array([tensor[i, j] for i, j in COMPONENTS[gdim]])
    if strain:
        vector[SHEARS[gdim]:] *= 2
    return vector


def from_voigt(vector: np.ndarray, gdim: int, *, strain: bool) -> np.ndarray:
    """The symmetric 3×3 tensor of a Voigt vector (engineering shears for a strain)."""
    tensor = np.zeros((3, 3))
    for k, (i, j) in enumerate(COMPONENTS[gdim]):
        value = vector[k] / 2 if strain and k >= SHEARS[gdim] else vector[k]
        tensor[i, j] = tensor[j, i] = value
    return tensor


def isotropic_projection(C: np.ndarray) -> tuple[float, float]:
    """(K, G) of the isotropic part of a 6×6 (3D) or 3×3 (plane strain) Voigt stiffness."""
    if C.shape == (6, 6):
        normal = np.trace(C[:3, :3])
        off = C[0, 1] + C[0, 2] + C[1, 2]
        shear = np.trace(C[3:, 3:])
        return float((normal + 2 * off) / 9), float((normal - off + 3 * shear) / 15)
    a, b, c = (C[0, 0] + C[1, 1]) / 2, C[0, 1], C[2, 2]
    G = (a - b + 2 * c) / 4
    return float((a + b) / 2 - G + 2 * G / 3), float(G)
