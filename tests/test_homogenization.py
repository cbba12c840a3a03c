"""Mean-field formulas (physics.md 9, 10h) against hand-computed values and classical closed forms.

The reference values are written out independently of the module: the
classical two-phase Hashin–Shtrikman formulas (Hashin & Shtrikman 1963),
the porous Mori–Tanaka result, Eshelby's dilute limit and Levin's relation.
"""

import numpy as np
import pytest

from chemomech.materials import homogenization as hom

# Two phases: 1 stiff (K = 10, G = 5), 2 soft (K = 2, G = 1), f2 = 0.3; units arbitrary.
K1, G1, K2, G2, F2 = 10.0, 5.0, 2.0, 1.0, 0.3
F = np.array([1 - F2, F2])
K = np.array([K1, K2])
G = np.array([G1, G2])


def hs_two_phase(Ka, Ga, Kb, Gb, fb):
    """Classical two-phase HS bound, phase a the reference: K_a + f_b / (1/(K_b − K_a) + 3 f_a/(3K_a + 4G_a))."""
    fa = 1 - fb
    bulk = Ka + fb / (1 / (Kb - Ka) + 3 * fa / (3 * Ka + 4 * Ga))
    shear = Ga + fb / (1 / (Gb - Ga) + 6 * fa * (Ka + 2 * Ga) / (5 * Ga * (3 * Ka + 4 * Ga)))
    return bulk, shear


def test_hand_computed_two_phase_numbers():
    # By hand: K_HS+ = 10 + 0.3 / (−1/8 + 2.1/50) = 10 − 0.3/0.083 = 6.385542...
    upper = hom.hashin_shtrikman(F, K, G, "upper")
    lower = hom.hashin_shtrikman(F, K, G, "lower")
    assert (upper.bulk, upper.shear) == pytest.approx((6.385542168674699, 3.358862144420131), rel=1e-14)
    assert (lower.bulk, lower.shear) == pytest.approx((5.2558139534883725, 2.776649746192893), rel=1e-14)
    assert (upper.bulk, upper.shear) == pytest.approx(hs_two_phase(K1, G1, K2, G2, F2), rel=1e-14)
    assert (lower.bulk, lower.shear) == pytest.approx(hs_two_phase(K2, G2, K1, G1, 1 - F2), rel=1e-14)
    voigt, reuss = hom.voigt(F, K, G), hom.reuss(F, K, G)
    assert (voigt.bulk, voigt.shear) == pytest.approx((7.6, 3.8), rel=1e-15)
    assert (reuss.bulk, reuss.shear) == pytest.approx((1 / 0.22, 1 / 0.44), rel=1e-15)


def test_mori_tanaka_with_the_stiff_matrix_is_the_upper_bound_and_with_the_soft_the_lower():
    """A known identity for two phases (Weng 1984)."""
    for matrix, bound in ((0, "upper"), (1, "lower")):
        mt = hom.mori_tanaka(F, K, G, matrix)
        hs = hom.hashin_shtrikman(F, K, G, bound)
        assert (mt.bulk, mt.shear) == pytest.approx((hs.bulk, hs.shear), rel=1e-14)


def test_single_phase_identity():
    one = np.array([1.0])
    for scheme in hom.SCHEMES:
        est = hom.estimate(scheme, one, [7.0], [3.0], matrix=0)
        assert (est.bulk, est.shear) == pytest.approx((7.0, 3.0), rel=1e-14), scheme
        assert est.stress_concentration == pytest.approx([1.0], rel=1e-14), scheme


def test_identical_phases_give_their_moduli():
    f = np.array([0.2, 0.5, 0.3])
    for scheme in hom.SCHEMES:
        est = hom.estimate(scheme, f, [4.0] * 3, [2.0] * 3, matrix=1)
        assert (est.bulk, est.shear) == pytest.approx((4.0, 2.0), rel=1e-14), scheme


def test_porous_mori_tanaka_closed_form_and_zero_lower_bound():
    """Pores (K = G = 0) in a matrix: K = 4 K_m G_m (1 − p) / (4 G_m + 3 K_m p),
    G = G_m (1 − p)(9K_m + 8G_m) / (9K_m + 8G_m + 6p(K_m + 2G_m))."""
    Km, Gm, p = 20.0, 9.0, 0.15
    f, Kp, Gp = [1 - p, p], [Km, 0.0], [Gm, 0.0]
    mt = hom.mori_tanaka(f, Kp, Gp, matrix=0)
    assert mt.bulk == pytest.approx(4 * Km * Gm * (1 - p) / (4 * Gm + 3 * Km * p), rel=1e-14)
    shear = Gm * (1 - p) * (9 * Km + 8 * Gm) / (9 * Km + 8 * Gm + 6 * p * (Km + 2 * Gm))
    assert mt.shear == pytest.approx(shear, rel=1e-14)
    upper = hom.hashin_shtrikman(f, Kp, Gp, "upper")
    assert (upper.bulk, upper.shear) == pytest.approx((mt.bulk, mt.shear), rel=1e-14)
    lower = hom.hashin_shtrikman(f, Kp, Gp, "lower")
    assert (lower.bulk, lower.shear) == (0.0, 0.0)
    assert hom.reuss(f, Kp, Gp).bulk == 0.0
    assert hom.voigt(f, Kp, Gp).bulk == pytest.approx((1 - p) * Km)
    assert mt.stress_concentration[1] == 0.0  # a pore carries no stress


def test_dilute_limit_is_eshelby():
    """dK/df at f → 0 = (K_i − K_m)(3K_m + 4G_m)/(3K_i + 4G_m); dG/df = (G_i − G_m)(G_m + ζ_m)/(G_i + ζ_m)."""
    Km, Gm, Ki, Gi, f = 20.0, 9.0, 5.0, 2.0, 1e-7
    mt = hom.mori_tanaka([1 - f, f], [Km, Ki], [Gm, Gi], matrix=0)
    zeta_m = Gm / 6 * (9 * Km + 8 * Gm) / (Km + 2 * Gm)
    assert (mt.bulk - Km) / f == pytest.approx((Ki - Km) * (3 * Km + 4 * Gm) / (3 * Ki + 4 * Gm), rel=1e-6)
    assert (mt.shear - Gm) / f == pytest.approx((Gi - Gm) * (Gm + zeta_m) / (Gi + zeta_m), rel=1e-6)


def test_zeta_by_hand():
    assert hom.zeta(1.0, 1.0) == pytest.approx(17 / 18)  # 1/6 · 17/3
    assert hom.zeta(5.0, 0.0) == 0.0


def test_moduli_conversions():
    K_, G_ = hom.bulk_shear(22e9, 0.37)
    assert K_ == pytest.approx(22e9 / (3 * 0.26)) and G_ == pytest.approx(22e9 / 2.74)
    assert hom.youngs_poisson(K_, G_) == pytest.approx((22e9, 0.37))


def test_estimates_lie_between_the_bounds_and_stress_concentrations_average_to_one():
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = rng.integers(2, 6)
        f = rng.dirichlet(np.ones(n))
        K_, G_ = rng.uniform(0.1, 100, n), rng.uniform(0.1, 60, n)
        if rng.random() < 0.3:
            K_[-1] = G_[-1] = 0.0  # pores
        lo, hi = hom.hashin_shtrikman(f, K_, G_, "lower"), hom.hashin_shtrikman(f, K_, G_, "upper")
        voigt, reuss = hom.voigt(f, K_, G_), hom.reuss(f, K_, G_)
        for matrix in np.flatnonzero(G_ > 0):
            mt = hom.mori_tanaka(f, K_, G_, matrix)
            assert lo.bulk * (1 - 1e-12) <= mt.bulk <= hi.bulk * (1 + 1e-12)
            assert lo.shear * (1 - 1e-12) <= mt.shear <= hi.shear * (1 + 1e-12)
            assert np.sum(f * mt.stress_concentration) == pytest.approx(1.0, rel=1e-12)
        assert reuss.bulk <= lo.bulk * (1 + 1e-12) and hi.bulk <= voigt.bulk * (1 + 1e-12)
        assert reuss.shear <= lo.shear * (1 + 1e-12) and hi.shear <= voigt.shear * (1 + 1e-12)
        for est in (hi, voigt):
            assert np.sum(f * est.stress_concentration) == pytest.approx(1.0, rel=1e-12)


def test_estimates_broadcast_over_states():
    """Phases on the first axis, states on the second: each column is its own composite."""
    f = np.array([[0.7, 0.5], [0.3, 0.5]])
    K_ = np.array([[10.0, 10.0], [2.0, 4.0]])
    G_ = np.array([[5.0, 5.0], [1.0, 3.0]])
    both = hom.mori_tanaka(f, K_, G_, matrix=0)
    for column in range(2):
        single = hom.mori_tanaka(f[:, column], K_[:, column], G_[:, column], matrix=0)
        assert both.bulk[column] == pytest.approx(single.bulk) and both.shear[column] == pytest.approx(single.shear)


def test_levin_formula_by_hand():
    # θ* = 0.1, K_p = 5, K_m = 20, K_eff = 10: 0.1 · 5 · (10 − 20) / (10 · (5 − 20)) = 1/30
    assert hom.levin_two_phase(0.1, 5.0, 20.0, 10.0) == pytest.approx(1 / 30, rel=1e-15)
    # The limits: K_eff = K_m gives none, K_eff = K_p the phase's own eigenstrain.
    assert hom.levin_two_phase(0.1, 5.0, 20.0, 20.0) == 0.0
    assert hom.levin_two_phase(0.1, 5.0, 20.0, 5.0) == pytest.approx(0.1)


@pytest.mark.parametrize("scheme", hom.SCHEMES)
@pytest.mark.parametrize("matrix", [0, 1])
def test_mean_field_eigenstrain_reduces_to_levin_for_two_phases(scheme, matrix):
    """Σ f_r b_r θ*_r with only the inclusion swelling equals Levin's relation at the scheme's own K_eff."""
    f, Kp, Gp = np.array([0.65, 0.35]), np.array([28.0, 7.7]), np.array([8.0, 3.5])
    est = hom.estimate(scheme, f, Kp, Gp, matrix)
    theta = np.array([0.0, 0.262])
    levin = hom.levin_two_phase(0.262, Kp[1], Kp[0], est.bulk)
    assert hom.effective_eigenstrain(f, est.stress_concentration, theta) == pytest.approx(levin, rel=1e-13)


def test_mean_field_eigenstrain_of_a_uniform_eigenstrain_is_that_eigenstrain():
    f, Kp, Gp = np.array([0.3, 0.5, 0.2]), np.array([7.7, 28.0, 0.7]), np.array([3.5, 8.0, 0.4])
    for scheme in hom.SCHEMES:
        est = hom.estimate(scheme, f, Kp, Gp, matrix=1)
        assert hom.effective_eigenstrain(f, est.stress_concentration, [0.01] * 3) == pytest.approx(0.01, rel=1e-13)


def test_weight_to_volume_fractions():
    assert hom.volume_fractions_from_weight([0.5, 0.5], [1.0, 3.0]) == pytest.approx([0.75, 0.25])
    assert hom.volume_fractions_from_weight([0.2, 0.8], [2.0, 2.0]) == pytest.approx([0.2, 0.8])
    # 30 wt% S (2.07 g/cm3), 50 wt% LPSCl (1.86), 20 wt% carbon (1.9), by hand:
    # volumes 0.1449275, 0.2688172, 0.1052632 -> sum 0.5190079
    f = hom.volume_fractions_from_weight([0.3, 0.5, 0.2], [2.07, 1.86, 1.9])
    assert f == pytest.approx([0.1449275 / 0.5190079, 0.2688172 / 0.5190079, 0.1052632 / 0.5190079], rel=1e-6)
