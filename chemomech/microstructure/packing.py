"""Random particle packings for RVEs: discs in a rectangle (2D) or spheres in a box (3D).

The box spans [0, L_i] on each axis, coordinates (x, z) in 2D and (x, y, z) in
3D; lengths in m. A 2D packing is a section of unit depth: its "volumes" are
areas.

Radii. Each phase draws radii, from a lognormal distribution with mean r̄ and
coefficient of variation c (σ² = ln(1 + c²), μ = ln r̄ − σ²/2; c = 0 gives r̄
exactly) or from its explicit list (cycled), until their expected volume
inside the box reaches the target f·V_box; it keeps n or n − 1 particles,
whichever is closer, and scales all its radii by one common factor to the
target. For ``boundary="cut"`` the expected inside volume of a particle is
v(r) (1 − k r Σ_i 1/L_i), the mean share cut off by the two faces of an axis
for a centre uniform along it: k = 3/8 for spheres, 4/(3π) for discs.

Attached phases (``attach_to``, ``overlap`` δ): each particle touches a
particle of its host phase, its centre at d = R + r (1 − 2δ) from the host's
(R the host's radius), so that it reaches 2δr into the host. The lens the two
share belongs to the host (chemomech.microstructure.lens); the attached phase
counts only its part outside, v(r) − lens(R, r, d), so its expected volume
per particle takes the lens at the host phase's mean drawn radius, and the
fit (step 3) makes the fraction exact with the real hosts.

Placement, with g = ``min_gap``:

1. Random sequential addition (RSA) of the free phases' particles together, largest
   first: each goes to the first of up to ``max_attempts`` uniformly drawn
   centres that obeys the boundary rule and keeps a surface distance ≥ g to
   every placed particle. The overlap test reads only the particles listed in
   the cells of a uniform grid that the candidate's cube of half-width r + g/2
   overlaps (each particle is listed in every cell its own cube overlaps).
   Attached particles come after all free ones, largest first: each tries up
   to ``max_attempts`` candidates on a random host (of those larger than 2δr,
   whose centre then stays outside the attached particle; the lens needs only
   R > δr, a margin that the few per cent of step 3 cannot use up) in a
   random direction, kept if they obey the wall rule and the gap to every
   particle but the host (its other attached particles included).
   RSA jams (about 38 % for equal spheres, 55 % for discs; the 30/10/10 %
   cathode mix with a 0.1 µm gap stalls near 43 %), so for a total fraction φ
   above RSA_FRACTION it places the particles with all radii scaled by
   λ = (RSA_FRACTION / φ)^(1/d). Where a particle finds no place even so
   (walls and small boxes leave less room), RSA starts again with λ smaller
   by PLACEMENT_SHRINK, up to PLACEMENT_RETRIES times.
2. Growth: λ rises to 1 in steps of GROWTH_STEP in the total fraction, each
   followed by a relaxation that pushes overlapping pairs apart until none is
   left (:func:`_relax`, a collective rearrangement in the manner of Jodrey &
   Tory, Phys. Rev. A 32, 2347, 1985). Attached particles stay on their hosts
   throughout: each keeps its direction u from the host, its centre being
   c_host + (R + r (1 − 2δ)) u for the current radii, and slides over the
   host when pushed (:func:`_relax`). Targets that jam raise PackingError.
3. Exact fractions: each phase's radii are scaled by (target / owned)^(1/d),
   with its owned volume inside the box from :func:`owned_volumes`, and the
   packing is relaxed again, until every phase is within FIT_TOLERANCE
   (relative) of its target. For ``"wall"`` without attached phases the
   inside volume is the whole volume and the radii are already exact;
   ``"cut"`` and the lenses of attached phases take a few rounds.

Boundary rules, kept by the RSA draws and by every relaxation sweep:

- ``"wall"``: centres in [r + g, L_i − r − g]: every particle lies inside the
  box, at least g from every face.
- ``"cut"``: each centre coordinate's distance d to a face is ≤ r − g (cut by
  that face, at least g deep) or ≥ r + g (at least g away), and centres lie in
  the box: neither slivers nor tangencies reach the mesher. RSA draws the
  coordinates uniformly on [0, r − g] ∪ [r + g, L_i − r − g] ∪ [L_i − r + g, L_i].
- Attached particles keep the wall rule under either boundary: they lie inside
  the box, and so does their lens.

Geometry: disc ∩ rectangle area in closed form by inclusion–exclusion over the
rectangle's corners of Q(x, y), the area of {0 ≤ s ≤ x, 0 ≤ t ≤ y, s² + t² ≤ ρ²};
a sphere cut by one face loses the cap π h² (3r − h)/3, h = r − d; a sphere cut
by faces of two or three axes is integrated over z (:func:`_sliced_volume`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial, reduce
from itertools import cycle, repeat

import numpy as np

from chemomech.microstructure.lens import attached_distance, lens_volume

BOUNDARIES = ("wall", "cut")

CUT_LOSS_COEFFICIENT = {2: 4 / (3 * math.pi), 3: 3 / 8}
"""k in the expected share k r / L_i of a particle's volume outside the two faces of an axis (``"cut"``)."""

SLICE_NODES = 32
"""Gauss–Legendre nodes per kink-free z interval of a sphere cut by faces of two or three axes."""

RSA_FRACTION = {2: 0.40, 3: 0.25}
"""Total fraction (by geometric dimension) up to which RSA places the particles at full size; denser
targets place them scaled down to it, then grow them."""

PLACEMENT_RETRIES = 4
PLACEMENT_SHRINK = 0.85
"""Where RSA finds no place for a particle (walls and small boxes leave less room than the
fraction suggests), it starts again with all radii this much smaller, up to this many times;
the growth stage then brings them to size."""

GROWTH_STEP = 0.05
"""Increase of the total fraction per growth step."""

RELAX_ITERATIONS = 2000
"""Most push-apart sweeps of one relaxation."""

RELAX_OVERSHOOT = 0.5
"""Extra share of the overlap by which a pair is pushed apart."""

RELAX_MARGIN = 1e-3
"""Extra push, relative to the pair's radii sum, so that rounding cannot leave a pair overlapping."""

VERLET_SKIN = 1.0
"""Skin of the relaxation's pair list, relative to the smallest radius."""

FIT_TOLERANCE = 1e-6
"""Relative tolerance of the phases' volume inside the box against their targets."""

FIT_ITERATIONS = 30
"""Most rescale-and-relax rounds that fit the fractions inside the box."""

GATHER_LIMIT = 200_000
"""Most (candidate, listed particle) pairs one batch of the overlap test holds in memory."""


class PackingError(ValueError):
    """Inputs or targets that no packing meets; the message names the phase and what was reached."""


@dataclass(frozen=True)
class PhaseSpec:
    """One particle phase.

    ``volume_fraction``: target share of the box volume, 0 < f < 1;
    ``radius``: mean radius [m]; ``radius_spread``: coefficient of variation
    of lognormal radii (0: all equal); ``radii``: explicit radii [m] instead,
    used in order and cycled. Either way the phase's radii are then scaled by
    one common factor to meet the target exactly. ``attach_to``: the name of
    a free phase listed before this one, the host; each particle of this
    phase then touches a host particle, reaching ``overlap`` δ (0 ≤ δ < 1)
    times its diameter into it, and its target counts only its volume
    outside the host.
    """

    name: str
    volume_fraction: float
    radius: float
    radius_spread: float = 0.0
    radii: tuple[float, ...] | None = None
    attach_to: str | None = None
    overlap: float = 0.0


@dataclass(frozen=True)
class Particle:
    """A disc (2D, centre (x, z)) or sphere (3D, centre (x, y, z)) of one phase; ``host`` is the index of the
    particle it is attached to (None: free)."""

    phase: str
    center: tuple[float, ...]
    radius: float
    host: int | None = None


@dataclass(frozen=True)
class Packing:
    """Particles in the box [0, L_i] in placement order (the free ones largest first, then the attached ones
    largest first); ``boundary`` is ``"wall"`` or ``"cut"``."""

    box: tuple[float, ...]
    particles: tuple[Particle, ...]
    boundary: str

    def volume_fractions(self) -> dict[str, float]:
        """Per phase: the particles' owned volume (area in 2D) inside the box divided by the box's."""
        centers = np.array([particle.center for particle in self.particles])
        radii = np.array([particle.radius for particle in self.particles])
        host = np.array([-1 if particle.host is None else particle.host for particle in self.particles])
        inside: dict[str, float] = {}
        for particle, volume in zip(self.particles, owned_volumes(centers, radii, host, self.box), strict=True):
            inside[particle.phase] = inside.get(particle.phase, 0.0) + float(volume)
        box_volume = math.prod(self.box)
        return {phase: volume / box_volume for phase, volume in inside.items()}

    def radii(self, phase: str) -> np.ndarray:
        """Radii [m] of one phase's particles, in placement order."""
        return np.array([particle.radius for particle in self.particles if particle.phase == phase])


def ball_volume(radius, dim: int):
    """π r² (disc) or 4/3 π r³ (sphere)."""
    return math.pi * radius**2 if dim == 2 else 4 / 3 * math.pi * radius**3


def _quadrant_area(x: float, y: float, rho):
    """Q(x, y) for discs of radii ρ (array) about the origin, extended oddly in x and y.

    With x, y clipped to [0, ρ] and x_c = min(x, √(ρ² − y²)):
    Q = y x_c + g(x) − g(x_c), g(u) = ∫₀ᵘ √(ρ² − s²) ds = (u √(ρ² − u²) + ρ² asin(u/ρ)) / 2.
    """
    rho = np.asarray(rho, dtype=float)
    sign = np.sign(x) * np.sign(y)
    x, y = np.minimum(abs(x), rho), np.minimum(abs(y), rho)
    xc = np.minimum(x, np.sqrt((rho - y) * (rho + y)))
    scale = np.where(rho > 0, rho, 1.0)

    def g(u):  # u ≤ ρ
        return (u * np.sqrt((rho - u) * (rho + u)) + rho**2 * np.arcsin(np.minimum(u / scale, 1.0))) / 2

    return sign * (y * xc + g(x) - g(xc))


def _disc_rectangle_area(rho, lower, upper):
    """Area of discs of radii ρ about the origin inside [lower_0, upper_0] × [lower_1, upper_1]."""
    (a0, a1), (b0, b1) = lower, upper
    return (
        _quadrant_area(b0, b1, rho)
        - _quadrant_area(a0, b1, rho)
        - _quadrant_area(b0, a1, rho)
        + _quadrant_area(a0, a1, rho)
    )


def inside_volume(center, radius: float, box) -> float:
    """Volume (3D) or area (2D) of the ball of ``radius`` about ``center`` inside the box [0, L_i].

    The centre need not be inside the box; the faces' offsets from the centre
    are clipped to [−r, r], so a ball reaching past both faces of an axis is
    handled too.
    """
    c, lengths, r = np.asarray(center, dtype=float), np.asarray(box, dtype=float), float(radius)
    lower, upper = np.clip(-c, -r, r), np.clip(lengths - c, -r, r)
    if np.any(lower >= upper):
        return 0.0
    dim = len(c)
    faces = np.count_nonzero(lower > -r) + np.count_nonzero(upper < r)
    if faces == 0:
        return float(ball_volume(r, dim))
    if dim == 2:
        return float(_disc_rectangle_area(r, lower, upper))
    if faces == 1:  # a cap of height h = r − d is cut off
        h = r - float(np.min(np.concatenate([-lower, upper])))
        return float(ball_volume(r, 3) - math.pi * h**2 * (3 * r - h) / 3)
    return _sliced_volume(r, lower, upper)


def owned_volumes(centers: np.ndarray, radii: np.ndarray, host: np.ndarray, box) -> np.ndarray:
    """Each particle's volume inside the box less, for an attached one (``host`` ≥ 0), the lens it shares
    with its host: that lens is the host's. Attached particles lie inside the box, and so does their lens."""
    volumes = np.array([inside_volume(c, r, box) for c, r in zip(centers, radii, strict=True)])
    attached = np.flatnonzero(host >= 0)
    distance = np.linalg.norm(centers[attached] - centers[host[attached]], axis=1)
    volumes[attached] -= lens_volume(radii[host[attached]], radii[attached], distance, centers.shape[1])
    return volumes


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(SLICE_NODES)
_T = (_NODES + 1) / 2
_SMOOTH, _SMOOTH_WEIGHTS = _T**2 * (3 - 2 * _T), 3 * _T * (1 - _T) * _WEIGHTS  # s(t) = 3t² − 2t³, s′(t) dt


def _sliced_volume(r: float, lower: np.ndarray, upper: np.ndarray) -> float:
    """∫ over z ∈ [lower_z, upper_z] of the area of the slice (ρ = √(r² − z²)) inside the (x, y) rectangle.

    The slice area has square-root kinks where the slice circle touches a face
    line (ρ = |a|), passes through a corner (ρ² = a² + b²) or vanishes (ρ = 0).
    Between kinks z = z_k + (z_k+1 − z_k) s(t), s(t) = 3t² − 2t³, makes the
    integrand smooth in t: Gauss–Legendre with SLICE_NODES nodes per interval
    is accurate to about 1e-10 relative.
    """
    offsets = [[a for a in (lo, up) if abs(a) < r] for lo, up in zip(lower[:2], upper[:2], strict=True)]
    squares = [a**2 for a in offsets[0] + offsets[1]] + [a**2 + b**2 for a in offsets[0] for b in offsets[1]]
    z_lo, z_hi = float(lower[2]), float(upper[2])
    kinks = {s * math.sqrt(r**2 - q) for q in squares if q < r**2 for s in (-1.0, 1.0)}
    breaks = np.array(sorted({z_lo, z_hi} | {z for z in kinks if z_lo < z < z_hi}))
    width = np.diff(breaks)[:, None]
    z = breaks[:-1, None] + width * _SMOOTH
    areas = _disc_rectangle_area(np.sqrt(np.maximum(r**2 - z**2, 0.0)), lower[:2], upper[:2])
    return float(np.sum(width * _SMOOTH_WEIGHTS * areas))


class _CellList:
    """Placed particles listed in the cells of a uniform grid over the box, for the overlap test."""

    def __init__(self, box: np.ndarray, cell_size: float, gap: float):
        self.gap = gap
        self.shape = np.maximum(1, np.floor(box / cell_size)).astype(int)
        self.size = box / self.shape
        self.strides = np.cumprod([1, *self.shape[:0:-1]])[::-1]  # of the flat (C-order) cell index
        self.table = np.full((int(np.prod(self.shape)), 8), -1, dtype=np.intp)
        self.count = np.zeros(len(self.table), dtype=np.intp)
        # row -1 is a sentinel far away (empty table entries point to it)
        self.centers = np.full((65, len(box)), np.inf)
        self.radii = np.zeros(65)
        self.n = 0

    def _flat(self, first: np.ndarray, span) -> np.ndarray:
        """Flat indices of the block of cells ``first`` ... ``first + span − 1`` (per axis)."""
        axes = [np.arange(a, a + n) * s for a, n, s in zip(first, span, self.strides, strict=True)]
        return reduce(np.add.outer, axes).ravel()

    def block(self, radius: float) -> tuple[np.ndarray, np.ndarray]:
        """Cells per axis and flat offsets of the block that :meth:`free` reads for this radius."""
        span = np.minimum(np.floor(2 * (radius + self.gap / 2) / self.size).astype(int) + 2, self.shape)
        return span, self._flat(np.zeros_like(span), span)

    def free(self, x: np.ndarray, radius: float, block, ignore) -> np.ndarray:
        """Which candidate centres x (K, d) keep surface distance ≥ gap to every listed particle but the one
        numbered ``ignore`` (per candidate, or one for all; −1: none)."""
        span, offsets = block
        # the block from the cell of x − (r + g/2), moved back inside the grid, covers the candidate's cube
        first = np.clip(((x - (radius + self.gap / 2)) / self.size).astype(int), 0, self.shape - span)
        ids = self.table[(first @ self.strides)[:, None] + offsets]
        d2 = np.sum((self.centers[ids] - x[:, None, None, :]) ** 2, axis=-1)
        close = (d2 < (radius + self.radii[ids] + self.gap) ** 2) & (ids != np.reshape(ignore, (-1, 1, 1)))
        return ~np.any(close, axis=(1, 2))

    def add(self, x: np.ndarray, radius: float) -> None:
        if self.n + 1 >= len(self.radii):  # grow, keeping the sentinel last
            grow = len(self.radii)
            self.centers = np.concatenate([self.centers[:-1], np.full((grow + 1, len(x)), np.inf)])
            self.radii = np.concatenate([self.radii[:-1], np.zeros(grow + 1)])
        self.centers[self.n], self.radii[self.n] = x, radius
        reach = radius + self.gap / 2
        first = np.clip(np.floor((x - reach) / self.size).astype(int), 0, self.shape - 1)
        last = np.clip(np.floor((x + reach) / self.size).astype(int), 0, self.shape - 1)
        cells = self._flat(first, last - first + 1)
        slots = self.count[cells]
        if slots.max() >= self.table.shape[1]:
            self.table = np.concatenate([self.table, np.full_like(self.table, -1)], axis=1)
        self.table[cells, slots] = self.n
        self.count[cells] += 1
        self.n += 1


class _Placer:
    """Draws candidate centres by the boundary rule and keeps the first free one."""

    def __init__(self, box: np.ndarray, gap: float, boundary: str, cell_size: float, rng, max_attempts: int):
        self.box, self.gap, self.boundary, self.rng, self.max_attempts = box, gap, boundary, rng, max_attempts
        self.cells = _CellList(box, cell_size, gap)

    def _candidates(self, radius: float, k: int) -> np.ndarray:
        r, g, L = radius, self.gap, self.box
        if self.boundary == "wall":
            return r + g + self.rng.random((k, len(L))) * (L - 2 * (r + g))
        band = max(r - g, 0.0)  # [0, band] and [L − band, L]: cut by that face, at least g deep
        middle = L - 2 * (r + g)
        total = 2 * band + middle
        u = self.rng.random((k, len(L))) * total
        return np.where(u < band, u, np.where(u < band + middle, u - band + r + g, u + L - total))

    def place(self, radius: float) -> np.ndarray | None:
        """A free centre for a particle of this radius, listed from now on; None after max_attempts."""
        found = self._first_free(radius, lambda k: (self._candidates(radius, k), np.ones(k, dtype=bool), -1))
        return None if found is None else found[0]

    def attach(self, radius: float, reach: float, hosts: np.ndarray, centers: np.ndarray, radii: np.ndarray):
        """A free centre c_h + (R_h + reach r) u on a random one of the ``hosts`` (indices into the listed
        particles, with their centres and radii) in a random direction u, obeying the wall rule; listed from
        now on. Returns (centre, host index, u), or None after max_attempts."""
        r, g, L = radius, self.gap, self.box

        def candidates(k: int):
            pick = self.rng.integers(len(hosts), size=k)
            u = self.rng.normal(size=(k, len(L)))
            x = centers[pick] + ((radii[pick] + reach * r) / np.linalg.norm(u, axis=1))[:, None] * u
            return x, np.all((x >= r + g) & (x <= L - r - g), axis=1), hosts[pick]

        found = self._first_free(radius, candidates)
        if found is None:
            return None
        center, host = found
        offset = center - centers[np.flatnonzero(hosts == host)[0]]
        return center, host, offset / np.linalg.norm(offset)

    def _first_free(self, radius: float, candidates):
        """The first free one of up to max_attempts centres from ``candidates(k)`` -> (centres (k, d), allowed
        (k,), listed particle to ignore (k,) or −1), in doubling batches; listed from now on. Returns (centre,
        the particle it ignored) or None."""
        block = self.cells.block(radius)
        batch_limit = max(1, GATHER_LIMIT // (len(block[1]) * self.cells.table.shape[1]))
        tried, batch = 0, 4
        while tried < self.max_attempts:
            k = min(batch, batch_limit, self.max_attempts - tried)
            x, allowed, ignore = candidates(k)
            free = allowed & self.cells.free(x, radius, block, ignore)
            tried += k
            if free.any():
                row = int(np.argmax(free))
                self.cells.add(x[row], radius)
                return x[row], int(np.broadcast_to(ignore, k)[row])
            batch *= 2
        return None


class _Attachments:
    """Which particles ride on which host, and where: centre = c_host + (R_host + reach r) u.

    ``host`` (n,): the host's index, −1 for a free particle; ``reach`` (n,):
    1 − 2 overlap; ``direction`` (n, d): the unit vectors u (zero rows for
    free particles), updated in place by :func:`_relax`.
    """

    def __init__(self, host: np.ndarray, reach: np.ndarray, direction: np.ndarray):
        self.host, self.reach, self.direction = host, reach, direction
        self.attached = np.flatnonzero(host >= 0)
        self.hosts = host[self.attached]

    def distances(self, radii: np.ndarray) -> np.ndarray:
        """|c − c_host| of the attached particles for these radii."""
        return radii[self.hosts] + self.reach[self.attached] * radii[self.attached]

    def seat(self, centers: np.ndarray, radii: np.ndarray) -> None:
        """Put the attached particles' centres (in place) on their hosts."""
        u = self.direction[self.attached]
        centers[self.attached] = centers[self.hosts] + self.distances(radii)[:, None] * u


def pack(
    box, phases, *, seed: int, min_gap: float = 0.0, boundary: str = "wall", max_attempts: int = 200_000
) -> Packing:
    """A random packing of the phases' particles in the box [0, L_i] (see the module docstring).

    ``box`` is (Lx, Lz) or (Lx, Ly, Lz) [m]; ``phases`` a sequence of
    :class:`PhaseSpec`; ``min_gap`` [m] the least surface distance between
    particles (but an attached particle and its host) and to uncut faces;
    ``max_attempts`` the candidate centres RSA tries per particle. The same
    ``seed`` gives the same packing. Raises :class:`PackingError` for invalid
    inputs and for targets too dense to reach.
    """
    lengths = np.asarray(box, dtype=float)
    phases = tuple(phases)
    gap = float(min_gap)
    _validate(lengths, phases, gap, boundary, max_attempts)
    dim, box_volume = len(lengths), float(np.prod(lengths))
    names = [spec.name for spec in phases]
    targets = np.array([spec.volume_fraction for spec in phases])
    host_phase = np.array([-1 if spec.attach_to is None else names.index(spec.attach_to) for spec in phases])
    overlap = np.array([spec.overlap for spec in phases])
    *phase_seeds, placement_seed = np.random.SeedSequence(seed).spawn(len(phases) + 1)
    loss = CUT_LOSS_COEFFICIENT[dim] * float(np.sum(1 / lengths)) if boundary == "cut" else 0.0

    drawn: list[np.ndarray] = []
    for index, (spec, phase_seed) in enumerate(zip(phases, phase_seeds, strict=True)):
        stream = _radius_stream(spec, np.random.default_rng(phase_seed))
        volume = partial(_expected_volume, dim=dim, loss=loss)
        if host_phase[index] >= 0:
            host_radius = float(np.mean(drawn[host_phase[index]]))
            volume = partial(_expected_attached_volume, host_radius=host_radius, overlap=spec.overlap, dim=dim)
        drawn.append(_draw_radii(stream, targets[index] * box_volume, volume, dim))
        _check_fit(spec.name, float(drawn[index].max()), lengths, gap)
    # free particles first, then attached ones; largest first in each; stable, so ties keep the phase order
    entries = sorted(
        ((float(r), index) for index, radii in enumerate(drawn) for r in radii),
        key=lambda entry: (host_phase[entry[1]] >= 0, -entry[0]),
    )
    radii = np.array([r for r, _ in entries])
    phase = np.array([index for _, index in entries])

    def reached(scaled_radii: np.ndarray) -> str:
        volumes = np.bincount(phase, weights=ball_volume(scaled_radii, dim), minlength=len(phases)) / box_volume
        listing = ", ".join(f"{name} {v:.4g} of {t:.4g}" for name, v, t in zip(names, volumes, targets, strict=True))
        return (
            f"fractions reached: {listing}; the targets (total {float(np.sum(targets)):.4g}) are too dense: "
            "lower the fractions, min_gap or the radius spread, or enlarge the box"
        )

    rng = np.random.default_rng(placement_seed)
    nominal = float(np.sum(ball_volume(radii, dim))) / box_volume
    scale = min(1.0, (RSA_FRACTION[dim] / nominal) ** (1 / dim))
    for attempt in range(PLACEMENT_RETRIES + 1):  # walls and small boxes leave less room: place smaller, grow later
        centers, host, direction, failed = _place_all(
            lengths, gap, boundary, scale * radii, phase, host_phase, overlap, names, rng, max_attempts
        )
        if failed is None:
            break
        if attempt == PLACEMENT_RETRIES:
            raise PackingError(
                f"phase {names[phase[failed]]!r}: no free place for a particle of radius {scale * radii[failed]:.4g} m"
                f" in {max_attempts} attempts; "
                f"{reached(np.where(np.arange(len(radii)) < failed, scale * radii, 0.0))}"
            )
        scale *= PLACEMENT_SHRINK

    attachments = _Attachments(host, 1 - 2 * overlap[phase], direction)
    relax = partial(_relax, centers, attachments, lengths=lengths, gap=gap, boundary=boundary, rng=rng)
    for grown in _growth(scale, dim, nominal):
        if not relax(grown * radii):
            raise PackingError(
                f"the particles jammed while growing to {grown**dim * nominal:.4g} of the box; {reached(scale * radii)}"
            )
        scale = grown

    for _ in range(FIT_ITERATIONS):
        owned = owned_volumes(centers, radii, host, lengths)
        ratio = targets * box_volume / np.bincount(phase, weights=owned, minlength=len(phases))
        if np.all(np.abs(ratio - 1) <= FIT_TOLERANCE):
            break
        radii = radii * ratio[phase] ** (1 / dim)
        for index, name in enumerate(names):
            _check_fit(name, float(radii[phase == index].max()), lengths, gap)
        if not relax(radii):
            raise PackingError(f"the particles jammed while fitting the fractions inside the box; {reached(radii)}")
    else:
        raise PackingError(f"the fractions inside the box did not settle on the targets in {FIT_ITERATIONS} rounds")

    particles = tuple(
        Particle(names[index], tuple(float(x) for x in center), float(radius), None if h < 0 else int(h))
        for index, center, radius, h in zip(phase, centers, radii, host, strict=True)
    )
    return Packing(tuple(float(L) for L in lengths), particles, boundary)


def _place_all(lengths, gap: float, boundary: str, radii, phase, host_phase, overlap, names, rng, max_attempts: int):
    """RSA of ``radii`` in order, attached particles on a host of their host phase (placed before them).

    Returns (centres, host indices (−1: free), directions from the host, None), or with the index of
    the first particle that found no place instead of None.
    """
    placer = _Placer(lengths, gap, boundary, 2 * float(np.median(radii)) + gap, rng, max_attempts)
    centers = np.empty((len(radii), len(lengths)))
    host, direction = np.full(len(radii), -1), np.zeros((len(radii), len(lengths)))
    for k, radius in enumerate(radii):
        index = phase[k]
        if host_phase[index] < 0:
            center = placer.place(radius)
        else:
            hosts = np.flatnonzero((phase == host_phase[index]) & (radii > 2 * overlap[index] * radius))
            if hosts.size == 0:
                raise PackingError(
                    f"phase {names[index]!r}: no {names[host_phase[index]]!r} particle is larger than "
                    f"2 overlap r = {2 * overlap[index] * radius:.4g} m; lower the overlap or the radius"
                )
            found = placer.attach(radius, 1 - 2 * overlap[index], hosts, centers[hosts], radii[hosts])
            center, host[k], direction[k] = (None, -1, 0.0) if found is None else found
        if center is None:
            return centers, host, direction, k
        centers[k] = center
    return centers, host, direction, None


def _check_fit(phase: str, radius: float, lengths: np.ndarray, gap: float) -> None:
    if np.any(lengths <= 2 * (radius + gap)):
        raise PackingError(
            f"phase {phase!r}: a radius of {radius:.4g} m does not fit the box {tuple(lengths.tolist())} m with "
            f"min_gap {gap:.4g} m (every length must exceed 2 (r + min_gap)); lower the radius or its spread, "
            "or enlarge the box"
        )


def _growth(scale: float, dim: int, total: float) -> list[float]:
    """Radius scales λ_k from above ``scale`` to 1 that raise the total fraction λ^d φ evenly by ≤ GROWTH_STEP."""
    steps = math.ceil(total * (1 - scale**dim) / GROWTH_STEP)
    return [(scale**dim + (1 - scale**dim) * k / steps) ** (1 / dim) for k in range(1, steps)] + [1.0] * (steps > 0)


def _relax(centers, attachments: _Attachments, radii, *, lengths, gap, boundary, rng) -> bool:
    """Move the centres (in place) until no surface distance is below ``gap`` and the boundary rules hold.

    Each sweep keeps the free centres in their allowed ranges (:func:`_project`),
    seats the attached particles on their hosts (:class:`_Attachments`) and
    pushes every overlapping pair but a host and its own attached particles
    apart along the line of centres by its overlap δ = r_i + r_j + g − |x_j − x_i|,
    plus RELAX_OVERSHOOT δ and RELAX_MARGIN (r_i + r_j), shared in inverse
    proportion to the particles' volumes; an attached particle outside its
    wall range is pushed back by as much, with overshoot and margin. The
    pushes p of one sweep add. A free particle moves by p; an attached one
    hands p's component along its direction u to its host and slides over it
    with the rest p_t: u ← (D u + p_t) / |D u + p_t|, D its distance to the
    host. The pairs come from a Verlet list: the pairs closer than
    r_i + r_j + g + s (skin s = VERLET_SKIN r_min, found with a k-d tree),
    rebuilt once some centre has moved s/2 since. False after
    RELAX_ITERATIONS sweeps.
    """
    from scipy.spatial import cKDTree  # only packings need it (scipy: 0.3 s to import)

    n, dim = centers.shape
    weights = radii**dim
    skin = VERLET_SKIN * float(radii.min())
    anchor = np.full_like(centers, np.inf)
    attached, hosts, host = attachments.attached, attachments.hosts, attachments.host
    seated = attachments.distances(radii)[:, None]
    inset = radii[attached][:, None] + gap  # the wall range of an attached centre is [inset, L − inset]
    for _ in range(RELAX_ITERATIONS):
        _project(centers, radii, lengths, gap, boundary)
        attachments.seat(centers, radii)
        if 2 * np.max(np.linalg.norm(centers - anchor, axis=1)) > skin:
            anchor = centers.copy()
            i, j = cKDTree(centers).query_pairs(2 * float(radii.max()) + gap + skin, output_type="ndarray").T
            near = np.linalg.norm(centers[j] - centers[i], axis=1) < radii[i] + radii[j] + gap + skin
            near &= (host[i] != j) & (host[j] != i)
            i, j = i[near], j[near]
            share = weights[j] / (weights[i] + weights[j])
        delta = centers[j] - centers[i]
        distance = np.linalg.norm(delta, axis=1)
        overlap = radii[i] + radii[j] + gap - distance
        hit = overlap > 0
        inward = np.clip(centers[attached], inset, lengths - inset) - centers[attached]
        if not hit.any() and not inward.any():
            return True
        delta, distance = delta[hit], distance[hit]
        coincident = distance == 0
        if coincident.any():
            delta[coincident] = rng.normal(size=(int(coincident.sum()), dim))
            distance[coincident] = np.linalg.norm(delta[coincident], axis=1)
        push = overlap[hit] * (1 + RELAX_OVERSHOOT) + RELAX_MARGIN * (radii[i[hit]] + radii[j[hit]])
        push = (push / distance)[:, None] * delta
        move = np.zeros_like(centers)
        for axis in range(dim):
            move[:, axis] += np.bincount(j[hit], weights=(1 - share[hit]) * push[:, axis], minlength=n)
            move[:, axis] -= np.bincount(i[hit], weights=share[hit] * push[:, axis], minlength=n)
        p = move[attached] + inward * (1 + RELAX_OVERSHOOT) + RELAX_MARGIN * (inset - gap) * np.sign(inward)
        u = attachments.direction[attached]
        along = np.sum(p * u, axis=1, keepdims=True)
        for axis in range(dim):
            move[:, axis] += np.bincount(hosts, weights=along[:, 0] * u[:, axis], minlength=n)
        slid = seated * u + p - along * u
        attachments.direction[attached] = slid / np.linalg.norm(slid, axis=1, keepdims=True)
        centers += move  # the attached particles' own moves are undone when they are seated again
    return False


def _project(centers, radii, lengths, gap, boundary) -> None:
    """Move centre coordinates (in place) into the boundary rule's allowed ranges, to the nearest allowed value.

    ``"wall"``: [r + g, L − r − g]. ``"cut"``: distances d to each face outside
    (r − g, r + g), and centres inside the box.
    """
    r = radii[:, None]
    if boundary == "wall":
        np.clip(centers, r + gap, lengths - r - gap, out=centers)
        return
    np.clip(centers, 0.0, lengths, out=centers)
    near, far = r - gap, r + gap  # a distance in (near, far) goes to the nearer end; to far if near < 0
    for sign, face in ((1.0, 0.0), (-1.0, lengths)):
        distance = sign * (centers - face)
        banned = (distance > near) & (distance < far)
        target = np.where((distance - near < far - distance) & (near >= 0), near, far)
        centers += np.where(banned, sign * (target - distance), 0.0)


def _validate(lengths: np.ndarray, phases: tuple, min_gap: float, boundary: str, max_attempts: int) -> None:
    if boundary not in BOUNDARIES:
        raise PackingError(f"boundary must be one of {BOUNDARIES}, got {boundary!r}")
    if lengths.ndim != 1 or len(lengths) not in (2, 3) or not np.all(np.isfinite(lengths) & (lengths > 0)):
        raise PackingError(f"box must be 2 or 3 positive lengths [m], got {np.atleast_1d(lengths).tolist()}")
    if not (math.isfinite(min_gap) and min_gap >= 0):
        raise PackingError(f"min_gap must be finite and >= 0, got {min_gap}")
    if max_attempts < 1:
        raise PackingError(f"max_attempts must be >= 1, got {max_attempts}")
    if not phases:
        raise PackingError("at least one phase is needed")
    names = [spec.name for spec in phases]
    if len(set(names)) != len(names):
        raise PackingError(f"phase names must be unique, got {names}")
    for spec in phases:
        where = f"phase {spec.name!r}"
        if not 0 < spec.volume_fraction < 1:
            raise PackingError(f"{where}: volume_fraction must be in (0, 1), got {spec.volume_fraction}")
        if not (math.isfinite(spec.radius) and spec.radius > 0):
            raise PackingError(f"{where}: radius must be > 0, got {spec.radius}")
        if not (math.isfinite(spec.radius_spread) and spec.radius_spread >= 0):
            raise PackingError(f"{where}: radius_spread must be >= 0, got {spec.radius_spread}")
        if spec.radii is not None and not (len(spec.radii) > 0 and all(r > 0 for r in spec.radii)):
            raise PackingError(f"{where}: radii must be a non-empty list of positive radii, got {spec.radii}")
        _check_fit(spec.name, max(spec.radii) if spec.radii is not None else spec.radius, lengths, min_gap)
    for index, spec in enumerate(phases):
        where = f"phase {spec.name!r}"
        if not (math.isfinite(spec.overlap) and 0 <= spec.overlap < 1):
            raise PackingError(f"{where}: overlap must be in [0, 1), got {spec.overlap}")
        if spec.attach_to is None:
            if spec.overlap != 0:
                raise PackingError(f"{where}: overlap needs attach_to (the host phase)")
            continue
        host = names.index(spec.attach_to) if spec.attach_to in names else None
        if host is None or host >= index:
            raise PackingError(
                f"{where}: attach_to must name a phase listed before it, one of {names[:index]}, got {spec.attach_to!r}"
            )
        if phases[host].attach_to is not None:
            raise PackingError(f"{where}: its host {spec.attach_to!r} is attached itself; attach to a free phase")
    total = sum(spec.volume_fraction for spec in phases)
    if total >= 1:
        raise PackingError(f"the phases' volume fractions sum to {total:.4g}; they must sum to less than 1")


def _radius_stream(spec: PhaseSpec, rng: np.random.Generator):
    """Endless radii of one phase: its explicit list cycled, else lognormal draws with mean r̄ and CV c."""
    if spec.radii is not None:
        yield from cycle(float(r) for r in spec.radii)
    elif spec.radius_spread == 0:
        yield from repeat(float(spec.radius))
    else:
        sigma = math.sqrt(math.log1p(spec.radius_spread**2))
        mu = math.log(spec.radius) - sigma**2 / 2
        while True:
            yield from rng.lognormal(mu, sigma, 64).tolist()


def _expected_volume(radii, dim: int, loss: float):
    """Expected inside volume v(r) (1 − loss r) of particles with uniformly drawn centres."""
    return ball_volume(radii, dim) * (1 - loss * radii)


def _expected_attached_volume(radii, dim: int, host_radius: float, overlap: float):
    """Volume v(r) − lens of particles attached to a host of ``host_radius``, outside the host."""
    distance = attached_distance(host_radius, radii, overlap)
    return ball_volume(radii, dim) - lens_volume(host_radius, radii, distance, dim)


def _draw_radii(stream, target: float, volume, dim: int) -> np.ndarray:
    """Radii from the stream until their expected volumes ``volume(r)`` add up to E ≥ the target T, n or n − 1
    of them (the closer), scaled by (T / E)^(1/d): exact where the volume scales as r^d (free phases, ``wall``)."""
    drawn, total = [], 0.0
    while total < target:
        drawn.append(next(stream))
        total += float(volume(drawn[-1]))
    if len(drawn) > 1 and target - (total - float(volume(drawn[-1]))) < total - target:
        drawn.pop()
    radii = np.array(drawn)
    return radii * (target / float(np.sum(volume(radii)))) ** (1 / dim)
