"""Principal values of many symmetric 3×3 tensors at once, in closed form.

NumPy's ``eigvalsh`` calls LAPACK once per tensor; the output fields and
the risk measures need the principal stresses of every cell (and
quadrature point) at every step. The trigonometric form of Cardano's
formula (Smith, Comm. ACM 4, 1961) takes a few array operations for all
of them::

    q = tr A/3,  B = A − qI,  p = √(tr(B²)/6),  r = det B/(2p³) ∈ [−1, 1],
    θ = arccos(r)/3,
    λ₁ = q + 2p cos θ ≥ λ₂ = 3q − λ₁ − λ₃ ≥ λ₃ = q + 2p cos(θ + 2π/3).

The von Mises stress of A is 3p (= √(3 J₂), J₂ = tr(B²)/2 = 3p²).

Accuracy: q, p and an eigenvalue apart from the others to rounding; two
nearly equal eigenvalues to about √ε p ≈ 1e-8 p, because r near ±1
holds only the square of their difference. p = 0 (A = qI) gives λ = q.
"""

import numpy as np


def _deviator_invariants(tensors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(q, tr(B²)/6 = p², det B) of symmetric (..., 3, 3) tensors, from their six components."""
    a = np.asarray(tensors, dtype=float)
    q = (a[..., 0, 0] + a[..., 1, 1] + a[..., 2, 2]) / 3
    b00, b11, b22 = a[..., 0, 0] - q, a[..., 1, 1] - q, a[..., 2, 2] - q
    b01, b02, b12 = a[..., 0, 1], a[..., 0, 2], a[..., 1, 2]
    p2 = (b00 * b00 + b11 * b11 + b22 * b22 + 2 * (b01 * b01 + b02 * b02 + b12 * b12)) / 6
    det = b00 * (b11 * b22 - b12 * b12) - b01 * (b01 * b22 - b12 * b02) + b02 * (b01 * b12 - b11 * b02)
    return q, p2, det


def determinant(tensors: np.ndarray) -> np.ndarray:
    """det of (..., 3, 3) ``tensors`` by cofactors (numpy.linalg.det factorises each one)."""
    a = np.asarray(tensors, dtype=float)
    return (
        a[..., 0, 0] * (a[..., 1, 1] * a[..., 2, 2] - a[..., 1, 2] * a[..., 2, 1])
        - a[..., 0, 1] * (a[..., 1, 0] * a[..., 2, 2] - a[..., 1, 2] * a[..., 2, 0])
        + a[..., 0, 2] * (a[..., 1, 0] * a[..., 2, 1] - a[..., 1, 1] * a[..., 2, 0])
    )


def principal_and_von_mises(tensors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(eigenvalues in ascending order, von Mises 3p) of symmetric (..., 3, 3) ``tensors``."""
    q, p2, det = _deviator_invariants(tensors)
    p = np.sqrt(p2)
    cube = p2 * p
    r = det / (2 * np.where(cube > 0, cube, 1.0))
    theta = np.arccos(np.clip(r, -1.0, 1.0)) / 3
    largest = q + 2 * p * np.cos(theta)
    smallest = q + 2 * p * np.cos(theta + 2 * np.pi / 3)
    return np.stack([smallest, 3 * q - largest - smallest, largest], axis=-1), 3 * p


def principal_values(tensors: np.ndarray) -> np.ndarray:
    """Eigenvalues in ascending order (as numpy.linalg.eigvalsh) of symmetric (..., 3, 3) ``tensors``."""
    return principal_and_von_mises(tensors)[0]
