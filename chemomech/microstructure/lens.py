"""The lens shared by two overlapping balls (spheres in 3D, discs in 2D), in closed form.

Two balls of radii R and r whose centres are d apart, |R − r| < d < R + r,
meet in a lens bounded by two spherical caps (circular segments in 2D),
whose rim is a circle (3D) or a pair of points (2D) at distance ρ from the
line of centres, with

    ρ = √((R + r + d)(−R + r + d)(R − r + d)(R + r − d)) / (2d)   (Heron's formula, 2 area / d),
    V = π (R + r − d)² (d² + 2d (R + r) − 3 (R − r)²) / (12 d)     (the sum of the two caps),
    A = R² acos((d² + R² − r²) / (2dR)) + r² acos((d² + r² − R²) / (2dr)) − ρ d.

For d ≥ R + r the lens is empty; for d ≤ |R − r| it is the smaller ball.
An attached particle sits at d = R + r (1 − 2 overlap) from its host's
centre: it reaches 2 overlap r deep into the host.
"""

from __future__ import annotations

import math

import numpy as np


def attached_distance(host_radius, radius, overlap):
    """Centre distance R + r (1 − 2 overlap) of a particle attached to a host."""
    return host_radius + radius * (1 - 2 * overlap)


def rim_radius(host_radius, radius, distance):
    """ρ: radius of the circle (3D) or half the chord (2D) where the two balls' surfaces cross; 0 if they do not."""
    big, small, d = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (host_radius, radius, distance)))
    product = (big + small + d) * (small - big + d) * (big - small + d) * (big + small - d)
    crossing = (d > abs(big - small)) & (d < big + small)
    return np.where(crossing, np.sqrt(np.maximum(product, 0.0)) / (2 * np.where(crossing, d, 1.0)), 0.0)


def lens_volume(host_radius, radius, distance, dim: int):
    """Volume (3D) or area (2D) of the intersection of balls of these radii with centres ``distance`` apart."""
    big, small, d = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (host_radius, radius, distance)))
    inner = np.minimum(big, small)
    crossing = (d > abs(big - small)) & (d < big + small)
    safe = np.where(crossing, d, 1.0)
    if dim == 3:
        depth = big + small - d
        crossed = math.pi * depth**2 * (d**2 + 2 * d * (big + small) - 3 * (big - small) ** 2) / (12 * safe)
        whole = 4 / 3 * math.pi * inner**3
    else:
        def sector(a, b):  # a² acos((d² + a² − b²) / (2 d a))
            return a**2 * np.arccos(np.clip((safe**2 + a**2 - b**2) / (2 * safe * a), -1.0, 1.0))

        crossed = sector(big, small) + sector(small, big) - rim_radius(big, small, d) * safe
        whole = math.pi * inner**2
    return np.where(crossing, crossed, np.where(d <= abs(big - small), whole, 0.0))
