"""The load-step predictor of chemomech.solve.stepper: the quadratic extrapolation is exact on a
parabola, for uneven steps and for a step back (a reversal of the load), and its error on a
cubic path falls as h³."""

import numpy as np
import pytest

from chemomech.solve.stepper import quadratic_extrapolation

COEFFICIENTS = np.array([[0.3, -1.2], [2.0, 0.5], [-0.7, 1.1], [0.25, -0.4]])  # two dofs, powers 0..3


def path(lam: float, degree: int) -> np.ndarray:
    return sum(COEFFICIENTS[k] * lam**k for k in range(degree + 1))


def predict(lams, h: float, degree: int) -> np.ndarray:
    older, old, now = (path(lam, degree) for lam in lams)
    changes = (lams[2] - lams[1], lams[1] - lams[0])
    return quadratic_extrapolation(now, (now - old, old - older), changes, h)


@pytest.mark.parametrize(("lams", "h"), [((0.0, 0.2, 0.4), 0.2), ((0.1, 0.15, 0.35), 0.05), ((0.0, 0.3, 0.5), -0.4)])
def test_exact_on_a_parabola(lams, h):
    assert predict(lams, h, 2) == pytest.approx(path(lams[2] + h, 2), rel=1e-13, abs=1e-13)


def test_third_order_on_a_cubic():
    errors = []
    for h in (0.1, 0.05, 0.025):
        prediction = predict((0.5 - 2 * h, 0.5 - h, 0.5), h, 3)
        errors.append(np.max(np.abs(prediction - path(0.5 + h, 3))))
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert orders == pytest.approx([3.0, 3.0], abs=0.05)
