"""chemomech.output.principal against NumPy's LAPACK routines: principal values (eigvalsh), von
Mises stress and determinants of many symmetric tensors, including tensors with two or three
equal eigenvalues (found to about √ε p, see the module) and the zero tensor."""

import numpy as np
import pytest

from chemomech.output.principal import determinant, principal_and_von_mises, principal_values

RNG = np.random.default_rng(7)


def symmetric(count: int) -> np.ndarray:
    a = RNG.normal(size=(count, 3, 3)) * 1e8
    return a + a.transpose(0, 2, 1)


def rotated(principal) -> np.ndarray:
    q, r = np.linalg.qr(RNG.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q @ np.diag(principal) @ q.T


def test_random_tensors():
    a = symmetric(1000)
    expected = np.linalg.eigvalsh(a)
    assert np.max(np.abs(principal_values(a) - expected)) <= 1e-13 * np.max(np.abs(expected))
    s1, s2, s3 = expected[:, 2], expected[:, 1], expected[:, 0]
    mises = np.sqrt(0.5 * ((s1 - s2) ** 2 + (s2 - s3) ** 2 + (s3 - s1) ** 2))
    both, mises_too = principal_and_von_mises(a)
    assert np.array_equal(both, principal_values(a))
    assert mises_too == pytest.approx(mises, rel=1e-12)
    assert determinant(a) == pytest.approx(np.linalg.det(a), rel=1e-10)


@pytest.mark.parametrize("principal", [(2.0, 2.0, -1.0), (5.0, 1.0, 1.0), (3.0, 3.0, 3.0), (0.0, 0.0, 0.0)])
def test_equal_eigenvalues(principal):
    a = np.stack([rotated(principal) * 1e6 for _ in range(10)])
    a = 0.5 * (a + a.transpose(0, 2, 1))
    values = principal_values(a)
    spread = (max(principal) - min(principal)) * 1e6
    assert np.max(np.abs(values - np.sort(principal) * 1e6)) <= 1e-7 * spread + 1e-9 * np.max(np.abs(a))


def test_shapes_of_points_per_cell():
    a = symmetric(24).reshape(4, 6, 3, 3)
    assert principal_values(a).shape == (4, 6, 3)
    assert principal_values(a) == pytest.approx(np.linalg.eigvalsh(a), rel=1e-9, abs=1e-5)
