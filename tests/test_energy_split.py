"""The energy splits of chemomech.physics.fracture.split, point by point against NumPy.

* The 3D eigenvalue formula (trigonometric Cardano) against numpy.linalg.eigvalsh on
  random symmetric tensors (1e-12) and on tensors with two or three equal eigenvalues,
  rotated so that they are full (1e-6 of the deviatoric size: the clamp of r moves a
  pair apart by about 1e-6 p, and δ three equal ones by √3 δ, by design).
* The spectral split of the neo-Hookean energy (ψ± from the principal logarithmic
  strains, evaluated with eigvalsh) in 3D and in the 2D block-diagonal form, W⁺ + W⁻ = W,
  and its stress ∂W⁺/∂F (UFL's derivative of the formula) against central differences of
  the NumPy W⁺, also where eigenvalues coincide (uniaxial and isotropic stretch).

Pointwise checks on a one-cell mesh of each rank (MPI.COMM_SELF).
"""

import numpy as np
import pytest
import ufl

from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.physics.constitutive import NeoHookeanGrowth
from chemomech.physics.fracture.split import energy_split, symmetric_eigenvalues

MU, LMBDA = 8e9, 5e9
RNG = np.random.default_rng(20261202)


@pytest.fixture(scope="module")
def cell():
    return dolfinx.mesh.create_unit_cube(MPI.COMM_SELF, 1, 1, 1)


def evaluate(mesh, expression) -> np.ndarray:
    """The value of a spatially constant UFL expression."""
    compiled = dolfinx.fem.Expression(expression, np.zeros((1, 3)))
    return np.asarray(compiled.eval(mesh, np.array([0], dtype=np.int32))).ravel()


def rotation(seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    return q * np.sign(np.diag(r))


def eigenvalues_of(mesh, matrix: np.ndarray) -> np.ndarray:
    A = dolfinx.fem.Constant(mesh, matrix)
    return np.array([evaluate(mesh, value)[0] for value in symmetric_eigenvalues(A)])


def test_eigenvalues_of_random_symmetric_tensors(cell):
    for _ in range(20):
        M = RNG.normal(size=(3, 3))
        M = M + M.T
        expected = np.sort(np.linalg.eigvalsh(M))[::-1]
        assert eigenvalues_of(cell, M) == pytest.approx(expected, abs=1e-12 * np.abs(M).max())


@pytest.mark.parametrize(
    "principal",
    [(2.0, 1.0, 1.0), (1.0, 1.0, 3.0), (1.0, 1.0, 1.0), (1e-3, -2e-3, -2e-3), (-0.5, 0.0, 0.0)],
)
def test_eigenvalues_where_they_coincide(cell, principal):
    Q = rotation(int(1e3 * np.abs(principal).sum()))
    M = Q @ np.diag(principal) @ Q.T
    deviatoric = max(np.ptp(principal), 1e-300)
    computed = eigenvalues_of(cell, (M + M.T) / 2)
    assert computed == pytest.approx(sorted(principal, reverse=True), abs=1e-6 * deviatoric + 2e-12)  # δ moves 3 equal ones by √3 δ


def numpy_split(F: np.ndarray) -> tuple[float, float]:
    """ψ± of the neo-Hookean energy from the principal logarithmic strains (Miehe et al. 2010)."""
    stretches = np.linalg.eigvalsh(F.T @ F)
    strains = np.log(stretches) / 2
    shear = (stretches - 1) / 2 - strains
    log_j = np.log(np.linalg.det(F))
    plus = LMBDA / 2 * max(log_j, 0) ** 2 + MU * shear[strains > 0].sum()
    minus = LMBDA / 2 * min(log_j, 0) ** 2 + MU * shear[strains <= 0].sum()
    return plus, minus


def neo_hookean(F: np.ndarray) -> float:
    log_j = np.log(np.linalg.det(F))
    return MU / 2 * (np.trace(F.T @ F) - 3) - MU * log_j + LMBDA / 2 * log_j**2


def split_expressions(mesh, F: np.ndarray, kind: str):
    """(W⁺, W⁻, ∂W⁺/∂F) at the deformation gradient F (UFL, no growth)."""
    law = NeoHookeanGrowth(dolfinx.fem.Constant(mesh, MU), dolfinx.fem.Constant(mesh, LMBDA), ufl.Identity(3))
    deformation = ufl.variable(dolfinx.fem.Constant(mesh, F))
    plus, minus = energy_split(law, deformation - ufl.Identity(3), "spectral", kind)
    return plus, minus, ufl.diff(plus, deformation)


DEFORMATIONS = {
    "mixed": np.array([[1.02, 0.01, -0.005], [0.003, 0.97, 0.008], [0.0, -0.01, 1.01]]),
    "tension": np.diag([1.03, 1.01, 1.02]) + 0.004 * (np.ones((3, 3)) - np.eye(3)),
    "compression": np.diag([0.97, 0.98, 0.99]),
    "uniaxial": np.diag([1.02, 1.0, 1.0]),
    "isotropic": 1.01 * np.eye(3),
    "rotated_uniaxial": rotation(3) @ np.diag([0.98, 1.01, 1.01]),
}


@pytest.mark.parametrize("name", DEFORMATIONS)
def test_spectral_split_3d(cell, name):
    F = DEFORMATIONS[name]
    plus, minus, stress = split_expressions(cell, F, "3d")
    expected_plus, expected_minus = numpy_split(F)
    scale = neo_hookean(F)
    assert evaluate(cell, plus)[0] == pytest.approx(expected_plus, abs=1e-9 * scale)
    assert evaluate(cell, minus)[0] == pytest.approx(expected_minus, abs=1e-9 * scale)
    assert evaluate(cell, plus)[0] + evaluate(cell, minus)[0] == pytest.approx(scale, rel=1e-10)
    step = 1e-6
    differences = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            dF = np.zeros((3, 3))
            dF[i, j] = step
            differences[i, j] = (numpy_split(F + dF)[0] - numpy_split(F - dF)[0]) / (2 * step)
    size = max(np.abs(differences).max(), MU * 1e-3)
    assert evaluate(cell, stress).reshape(3, 3) == pytest.approx(differences, abs=1e-5 * size)


def test_spectral_split_3d_reduces_to_planar(cell):
    """On a block-diagonal F (plane strain) the 3D formula and the 2D one agree."""
    F = np.array([[1.02, 0.015, 0.0], [-0.004, 0.985, 0.0], [0.0, 0.0, 1.0]])
    for kind in ("plane_strain", "3d"):
        plus, minus, _ = split_expressions(cell, F, kind)
        assert evaluate(cell, plus)[0] == pytest.approx(numpy_split(F)[0], rel=1e-10)
        assert evaluate(cell, minus)[0] == pytest.approx(numpy_split(F)[1], rel=1e-10)
