"""Random particle packings: fractions, distances, boundary rules, reproducibility, cut volumes, errors.

The cathode mix is the typical one: 30 % active (r̄ = 5 µm, CV 0.2), 10 %
carbon and 10 % pores (2 µm) in a box sized for about 30 active particles.
Distances are checked by brute force over all pairs, independently of the
packing's own cell list and k-d tree.
"""

import math
from functools import cache
from itertools import pairwise, product

import numpy as np
import pytest
from scipy import integrate

from chemomech.microstructure import PackingError, PhaseSpec, inside_volume, pack, size_distribution

MIX = (
    PhaseSpec("active", 0.30, 5e-6, radius_spread=0.2),
    PhaseSpec("carbon", 0.10, 2e-6),
    PhaseSpec("pores", 0.10, 2e-6),
)
GAP = 0.1e-6
BOX = {
    3: (30 * 4 / 3 * math.pi * 5e-6**3 / 0.30) ** (1 / 3),  # about 37 µm
    2: (30 * math.pi * 5e-6**2 / 0.30) ** (1 / 2),  # about 89 µm
}
CASES = [(dim, boundary, seed) for dim in (3, 2) for boundary in ("wall", "cut") for seed in (1, 2, 3)]


@cache
def mix_packing(dim, boundary, seed):
    return pack((BOX[dim],) * dim, MIX, seed=seed, min_gap=GAP, boundary=boundary)


def arrays(packing):
    centers = np.array([p.center for p in packing.particles])
    radii = np.array([p.radius for p in packing.particles])
    return centers, radii, np.array(packing.box)


@pytest.mark.parametrize(("dim", "boundary", "seed"), CASES)
def test_fractions_meet_the_targets(dim, boundary, seed):
    fractions = mix_packing(dim, boundary, seed).volume_fractions()
    targets = {spec.name: spec.volume_fraction for spec in MIX}
    assert fractions == pytest.approx(targets, rel=1e-3)  # the module promises 1e-6


@pytest.mark.parametrize(("dim", "boundary", "seed"), CASES)
def test_no_overlaps_and_the_gap_holds(dim, boundary, seed):
    centers, radii, _ = arrays(mix_packing(dim, boundary, seed))
    surface = np.linalg.norm(centers[:, None] - centers[None], axis=-1) - radii[:, None] - radii[None]
    np.fill_diagonal(surface, np.inf)
    assert surface.min() >= GAP * (1 - 1e-9)


@pytest.mark.parametrize(("dim", "seed"), [(dim, seed) for dim in (3, 2) for seed in (1, 2, 3)])
def test_wall_particles_stay_inside_the_box_at_the_gap(dim, seed):
    centers, radii, box = arrays(mix_packing(dim, "wall", seed))
    r = radii[:, None]
    assert np.all(centers - r >= GAP * (1 - 1e-9))
    assert np.all(box - centers - r >= GAP * (1 - 1e-9))


@pytest.mark.parametrize(("dim", "seed"), [(dim, seed) for dim in (3, 2) for seed in (1, 2, 3)])
def test_cut_particles_are_cut_deeply_or_stay_clear_of_each_face(dim, seed):
    centers, radii, box = arrays(mix_packing(dim, "cut", seed))
    assert np.all((centers >= 0) & (centers <= box))
    distances = np.concatenate([centers, box - centers], axis=1)  # centre to each face
    r = radii[:, None]
    cut = distances < r
    tol = 1e-9 * GAP
    assert np.all(np.where(cut, distances <= r - GAP + tol, distances >= r + GAP - tol))
    assert cut.any(axis=1).sum() > 10  # the rule was exercised


@pytest.mark.parametrize("dim", [3, 2])
def test_same_seed_same_packing_other_seed_other_packing(dim):
    first = mix_packing(dim, "wall", 1)
    assert pack((BOX[dim],) * dim, MIX, seed=1, min_gap=GAP) == first
    assert mix_packing(dim, "wall", 2) != first
    assert mix_packing(dim, "wall", 2).particles[0].center != first.particles[0].center


def test_largest_first_with_the_phases_interleaved():
    packing = mix_packing(3, "wall", 1)
    radii = np.array([p.radius for p in packing.particles])
    assert np.all(np.diff(radii) <= 0)
    phases = [p.phase for p in packing.particles]
    assert phases[0] == "active"
    assert set(phases[-10:]) <= {"carbon", "pores"}
    assert set(phases) == {"active", "carbon", "pores"}
    for name in ("carbon", "pores"):
        assert packing.radii(name) == pytest.approx(2e-6, rel=0.05)  # monodisperse, up to the common scale


def test_lognormal_radii_have_the_requested_mean_and_spread():
    packing = pack((40.0, 40.0), [PhaseSpec("a", 0.3, 0.5, radius_spread=0.25)], seed=4)
    stats = size_distribution(packing.radii("a"))
    assert stats["count [-]"] > 400
    assert stats["mean [m]"] == pytest.approx(0.5, rel=0.05)
    assert stats["std [m]"] / stats["mean [m]"] == pytest.approx(0.25, rel=0.15)


def test_explicit_radii_are_cycled_and_scaled_together():
    packing = pack((20.0, 20.0, 20.0), [PhaseSpec("a", 0.1, 1.0, radii=(1.0, 0.5))], seed=1)
    radii = packing.radii("a")
    big, small = radii.max(), radii.min()
    assert big / small == pytest.approx(2.0, rel=1e-12)
    assert abs(np.sum(np.isclose(radii, big)) - np.sum(np.isclose(radii, small))) <= 1
    assert big == pytest.approx(1.0, rel=0.05)
    assert packing.volume_fractions()["a"] == pytest.approx(0.1, rel=1e-6)


@pytest.mark.parametrize("boundary", ["wall", "cut"])
def test_thousand_particles_place_quickly(boundary):
    import time

    length = (1000 * 4 / 3 * math.pi / 0.3) ** (1 / 3)
    start = time.process_time()
    packing = pack((length,) * 3, [PhaseSpec("a", 0.3, 1.0)], seed=1, min_gap=0.02, boundary=boundary)
    assert len(packing.particles) > 800
    assert time.process_time() - start < 5.0  # about 0.3 s on one core; generous for loaded machines


# --- volume of balls cut by the box faces ----------------------------------------------------------------------

R = 1.3
BIG = (10.0, 10.0, 10.0)


def cap(h):
    return math.pi * h**2 * (3 * R - h) / 3


def segment(d):
    """Area of the disc of radius R beyond a chord at distance d from its centre."""
    return R**2 * math.acos(d / R) - d * math.sqrt(R**2 - d**2)


@pytest.mark.parametrize(
    ("center", "expected"),
    [
        ((5.0, 5.0, 5.0), 4 / 3 * math.pi * R**3),
        ((5.0, 5.0, 0.0), 2 / 3 * math.pi * R**3),  # half
        ((0.0, 5.0, 0.0), 1 / 3 * math.pi * R**3),  # quarter
        ((0.0, 0.0, 0.0), 1 / 6 * math.pi * R**3),  # eighth
        ((10.0, 10.0, 10.0), 1 / 6 * math.pi * R**3),  # eighth at the far corner
        ((5.0, 0.4, 5.0), 4 / 3 * math.pi * R**3 - cap(R - 0.4)),  # one cap cut off
        ((5.0, 5.0, 9.1), 4 / 3 * math.pi * R**3 - cap(R - 0.9)),
        ((0.0, 5.0, 0.7), 1 / 2 * (4 / 3 * math.pi * R**3 - cap(R - 0.7))),  # a face through the centre and a cap
    ],
)
def test_sphere_inside_volume_closed_forms(center, expected):
    assert inside_volume(center, R, BIG) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("center", "expected"),
    [
        ((5.0, 5.0), math.pi * R**2),
        ((5.0, 0.0), math.pi * R**2 / 2),
        ((0.0, 0.0), math.pi * R**2 / 4),
        ((5.0, 0.5), math.pi * R**2 - segment(0.5)),  # one chord
        ((9.6, 5.0), math.pi * R**2 - segment(0.4)),
        ((0.0, 0.8), (math.pi * R**2 - segment(0.8)) / 2),
    ],
)
def test_disc_inside_area_closed_forms(center, expected):
    assert inside_volume(center, R, BIG[:2]) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("dim", [2, 3])
def test_the_pieces_around_a_point_make_up_the_ball(dim):
    """The box's corner at a point p inside the ball, reflected into all 2^d orthants: the pieces sum to the ball."""
    p = np.array([0.31, -0.52, 0.77])[:dim]
    total = sum(inside_volume(-p * np.array(signs), R, BIG[:dim]) for signs in product((1, -1), repeat=dim))
    assert total == pytest.approx(math.pi * R**2 if dim == 2 else 4 / 3 * math.pi * R**3, rel=1e-9)


def test_sphere_cut_by_three_faces_against_a_double_integral_of_its_height():
    """Centre (0.4, 0.9, 0.25) near the corner: ∫∫ over the (x, y) part of the chord length above z = −0.25."""

    def chord(y, x):
        h = math.sqrt(max(R**2 - x**2 - y**2, 0.0))
        return h + min(0.25, h)

    def strip(x):  # ∫ dy, split where the chord's kink circle h = 0.25 crosses
        top = math.sqrt(R**2 - x**2)
        kink = math.sqrt(max(R**2 - 0.25**2 - x**2, 0.0))
        edges = sorted({-min(0.9, top), top} | {y for y in (-kink, kink) if -min(0.9, top) < y < top})
        return sum(integrate.quad(chord, a, b, args=(x,), epsabs=1e-14)[0] for a, b in pairwise(edges))

    # strip(x) has kinks where the y limits or the kink circle change form
    edges = sorted([-0.4, *(math.sqrt(R**2 - q) for q in (0.81, 0.25**2 + 0.81, 0.25**2)), R])
    reference = sum(integrate.quad(strip, a, b, epsabs=1e-13, limit=200)[0] for a, b in pairwise(edges))
    assert inside_volume((0.4, 0.9, 0.25), R, BIG) == pytest.approx(reference, rel=1e-9)


def test_sphere_cut_by_three_faces_does_not_depend_on_the_axis_order():
    center = np.array([0.4, 0.9, 0.25])
    volumes = [inside_volume(center[list(order)], R, BIG) for order in ((0, 1, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0))]
    assert volumes == pytest.approx([volumes[0]] * 4, rel=1e-9)
    assert 1 / 6 * math.pi * R**3 < volumes[0] < 4 / 3 * math.pi * R**3


# --- errors -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phases", "kwargs", "match"),
    [
        ([PhaseSpec("a", 0.6, 1.0), PhaseSpec("b", 0.5, 1.0)], {}, "sum to 1.1"),
        ([PhaseSpec("a", 0.0, 1.0)], {}, "phase 'a': volume_fraction"),
        ([PhaseSpec("a", 0.2, -1.0)], {}, "phase 'a': radius must be > 0"),
        ([PhaseSpec("a", 0.2, 1.0, radius_spread=-0.1)], {}, "radius_spread"),
        ([PhaseSpec("a", 0.2, 1.0, radii=())], {}, "radii"),
        ([PhaseSpec("a", 0.2, 6.0)], {}, "phase 'a': a radius of 6 m does not fit"),
        ([PhaseSpec("a", 0.2, 1.0)], {"min_gap": -0.1}, "min_gap"),
        ([PhaseSpec("a", 0.2, 1.0)], {"boundary": "periodic"}, "boundary"),
        ([PhaseSpec("a", 0.1, 1.0), PhaseSpec("a", 0.1, 1.0)], {}, "unique"),
        ([], {}, "at least one phase"),
    ],
)
def test_invalid_inputs_raise_packing_error(phases, kwargs, match):
    with pytest.raises(PackingError, match=match):
        pack((10.0, 10.0, 10.0), phases, seed=1, **kwargs)


def test_a_radius_scaled_past_the_box_names_its_phase():
    # one disc of r = 4.5 is closest to 90 % of the box; scaled to it, r = 5.35 > 10 / 2
    with pytest.raises(PackingError, match=r"phase 'big': a radius of 5\.352 m does not fit"):
        pack((10.0, 10.0), [PhaseSpec("big", 0.9, 4.5)], seed=1)


def test_targets_too_dense_to_place_raise_with_the_fractions_reached():
    phases = [PhaseSpec("active", 0.55, 1.0), PhaseSpec("carbon", 0.25, 0.5)]
    with pytest.raises(PackingError, match=r"jammed.*active 0\.\d+ of 0\.55, carbon 0\.\d+ of 0\.25") as error:
        pack((6.0, 6.0, 6.0), phases, seed=1, min_gap=0.05)
    assert isinstance(error.value, ValueError)
