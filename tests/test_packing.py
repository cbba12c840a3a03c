"""Random particle packings: fractions, distances, boundary rules, reproducibility, cut volumes, attached
phases and their lenses, errors.

The cathode mix is the typical one: 30 % active (r̄ = 5 µm, CV 0.2), 10 %
carbon and 10 % pores (2 µm) in a box sized for about 30 active particles;
its attached variant puts the carbon on the active particles (overlap 0.2).
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
from chemomech.microstructure.lens import lens_volume, rim_radius
from chemomech.microstructure.packing import ball_volume

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


# --- attached phases: carbon on the active particles ------------------------------------------------------------

OVERLAP = 0.2
ATTACHED_MIX = (MIX[0], PhaseSpec("carbon", 0.10, 2e-6, attach_to="active", overlap=OVERLAP), MIX[2])
ATTACHED_CASES = [(dim, boundary, seed) for dim in (3, 2) for boundary in ("wall", "cut") for seed in (1, 2)]


@cache
def attached_packing(dim, boundary, seed):
    # 50 % in total: the 3D packing grows from the RSA fraction, relaxing the attached particles with their hosts
    return pack((BOX[dim],) * dim, ATTACHED_MIX, seed=seed, min_gap=GAP, boundary=boundary)


def hosts(packing):
    return np.array([-1 if p.host is None else p.host for p in packing.particles])


@pytest.mark.parametrize(("dim", "boundary", "seed"), ATTACHED_CASES)
def test_attached_particles_reach_into_their_host_by_the_overlap(dim, boundary, seed):
    packing = attached_packing(dim, boundary, seed)
    centers, radii, _ = arrays(packing)
    host = hosts(packing)
    attached = np.flatnonzero(host >= 0)
    phases = np.array([p.phase for p in packing.particles])
    assert set(phases[attached]) == {"carbon"} and attached.size > 20
    assert np.all(phases[host[attached]] == "active")
    assert np.all(host[phases == "carbon"] >= 0)
    distance = np.linalg.norm(centers[attached] - centers[host[attached]], axis=1)
    expected = radii[host[attached]] + radii[attached] * (1 - 2 * OVERLAP)
    assert distance == pytest.approx(expected, rel=1e-12)
    assert radii[host[attached]] + radii[attached] - distance == pytest.approx(2 * OVERLAP * radii[attached], rel=1e-9)


@pytest.mark.parametrize(("dim", "boundary", "seed"), ATTACHED_CASES)
def test_attached_particles_keep_the_gap_from_all_but_their_host_and_stay_inside(dim, boundary, seed):
    packing = attached_packing(dim, boundary, seed)
    centers, radii, box = arrays(packing)
    host = hosts(packing)
    surface = np.linalg.norm(centers[:, None] - centers[None], axis=-1) - radii[:, None] - radii[None]
    np.fill_diagonal(surface, np.inf)
    attached = np.flatnonzero(host >= 0)
    assert np.all(surface[attached, host[attached]] < 0)  # attached and host overlap ...
    surface[attached, host[attached]] = surface[host[attached], attached] = np.inf
    assert surface.min() >= GAP * (1 - 1e-9)  # ... and nothing else does, siblings included
    r = radii[attached, None]
    assert np.all((centers[attached] - r >= GAP * (1 - 1e-9)) & (box - centers[attached] - r >= GAP * (1 - 1e-9)))


def painted_fractions(packing, n: int) -> dict[str, float]:
    """Fractions from the cell centres of an n^d grid: each cell takes the first particle (placement order:
    hosts before their attached particles) that contains it, so a lens counts for the host."""
    box = np.array(packing.box)
    h = box / n
    owner = np.full((n,) * len(box), -1, dtype=np.int16)
    for k, particle in enumerate(packing.particles):
        c, r = np.array(particle.center), particle.radius
        lo, hi = np.maximum(((c - r) / h).astype(int), 0), np.minimum(((c + r) / h).astype(int) + 1, n)
        axes = [(np.arange(a, b) + 0.5) * step - x for a, b, step, x in zip(lo, hi, h, c, strict=True)]
        inside = sum(np.meshgrid(*[a**2 for a in axes], indexing="ij", sparse=True)) < r**2
        block = owner[tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))]
        block[inside & (block < 0)] = k
    counts = np.bincount(owner[owner >= 0], minlength=len(packing.particles))
    fractions: dict[str, float] = {}
    for particle, count in zip(packing.particles, counts, strict=True):
        fractions[particle.phase] = fractions.get(particle.phase, 0.0) + count / n ** len(box)
    return fractions


@pytest.mark.parametrize(("dim", "boundary", "n"), [(2, "wall", 4000), (2, "cut", 4000), (3, "wall", 360)])
def test_fractions_with_lenses_are_exact_against_a_fine_grid(dim, boundary, n):
    packing = attached_packing(dim, boundary, 1)
    targets = {spec.name: spec.volume_fraction for spec in ATTACHED_MIX}
    assert packing.volume_fractions() == pytest.approx(targets, rel=1e-6)
    # counting the lenses twice would put carbon about 10 % high
    assert painted_fractions(packing, n) == pytest.approx(targets, rel=1e-3)


@pytest.mark.parametrize("dim", [3, 2])
def test_attached_packings_are_reproducible_from_the_seed(dim):
    first = attached_packing(dim, "wall", 1)
    assert pack((BOX[dim],) * dim, ATTACHED_MIX, seed=1, min_gap=GAP) == first
    other = attached_packing(dim, "wall", 2)
    assert [p.host for p in other.particles] != [p.host for p in first.particles]


def test_without_attachment_no_particle_has_a_host():
    assert all(p.host is None for p in mix_packing(3, "wall", 1).particles)


@pytest.mark.parametrize("dim", [3, 2])
def test_lens_volume_and_rim_against_quadrature(dim):
    """The lens as ∫ of the slice area (3D: π ρ², 2D: 2ρ) of the thinner ball along the line of centres."""
    big, small, d = 1.3, 0.7, 1.6

    def width2(x):  # squared slice radius of the lens at x on the axis (host centre at 0, the other at d)
        return max(min(big**2 - x**2, small**2 - (x - d) ** 2), 0.0)

    plane = (d**2 + big**2 - small**2) / (2 * d)  # where the spheres cross
    slice_measure = (lambda x: math.pi * width2(x)) if dim == 3 else (lambda x: 2 * math.sqrt(width2(x)))
    reference = sum(integrate.quad(slice_measure, a, b, epsabs=1e-14)[0] for a, b in ((d - small, plane), (plane, big)))
    assert lens_volume(big, small, d, dim) == pytest.approx(reference, rel=1e-10)
    assert rim_radius(big, small, d) == pytest.approx(math.sqrt(big**2 - plane**2), rel=1e-12)
    assert lens_volume(big, small, big + small, dim) == 0.0
    assert lens_volume(big, small, 0.5, dim) == pytest.approx(ball_volume(small, dim), rel=1e-15)  # inside


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
        ([PhaseSpec("a", 0.2, 1.0, overlap=0.2)], {}, "phase 'a': overlap needs attach_to"),
        ([PhaseSpec("a", 0.2, 1.0), PhaseSpec("b", 0.1, 0.5, attach_to="a", overlap=1.0)], {}, r"overlap .*\[0, 1\)"),
        ([PhaseSpec("a", 0.2, 1.0), PhaseSpec("b", 0.1, 0.5, attach_to="c")], {}, "phase 'b': attach_to must name"),
        ([PhaseSpec("b", 0.1, 0.5, attach_to="a"), PhaseSpec("a", 0.2, 1.0)], {}, "listed before it, one of \\[\\]"),
        ([PhaseSpec("a", 0.1, 0.5, attach_to="a")], {}, "phase 'a': attach_to must name"),
        (
            [
                PhaseSpec("a", 0.2, 1.0),
                PhaseSpec("b", 0.1, 0.5, attach_to="a", overlap=0.2),
                PhaseSpec("c", 0.1, 0.5, attach_to="b", overlap=0.2),
            ],
            {},
            "phase 'c': its host 'b' is attached itself",
        ),
        (
            [PhaseSpec("a", 0.05, 0.5), PhaseSpec("b", 0.1, 1.0, attach_to="a", overlap=0.3)],
            {},
            r"phase 'b': no 'a' particle is larger than 2 overlap r",
        ),
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
