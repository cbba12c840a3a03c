"""Kinematics for the three model dimensions.

Total Lagrangian description with displacement ``u`` and reference
coordinates ``X``; the stack axis is always the last coordinate.

* ``3d``: F = I + ∇u.
* ``plane_strain`` (x, z): F = [[1+u_x,x, u_x,z, 0], [u_z,x, 1+u_z,z, 0], [0, 0, 1]].
* ``axisymmetric`` (r, z): F as in plane strain but F_θθ = 1 + u_r / r, and the
  reference volume element is dV = 2π r dr dz.

Every tensor returned here is 3×3, so constitutive laws are written once.
"""

import math

import ufl

KINDS = ("plane_strain", "axisymmetric", "3d")


def _embed_2d(a, a_thth):
    """Embed a 2×2 in-plane tensor and an out-of-plane component into 3×3."""
    return ufl.as_tensor(
        [[a[0, 0], a[0, 1], 0], [a[1, 0], a[1, 1], 0], [0, 0, a_thth]]
    )


def displacement_gradient(u, kind: str):
    """H = ∇u as a 3×3 tensor (H_θθ = u_r / r in axisymmetry)."""
    if kind == "3d":
        return ufl.grad(u)
    if kind == "plane_strain":
        return _embed_2d(ufl.grad(u), 0)
    if kind == "axisymmetric":
        r = ufl.SpatialCoordinate(u.ufl_function_space().mesh)[0]
        return _embed_2d(ufl.grad(u), u[0] / r)
    raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")


def deformation_gradient(u, kind: str):
    """F = I + H (3×3)."""
    return ufl.Identity(3) + displacement_gradient(u, kind)


def small_strain(u, kind: str):
    """ε = sym(H) (3×3)."""
    return ufl.sym(displacement_gradient(u, kind))


def volume_weight(mesh, kind: str):
    """Factor w with dV = w dx: 2π r in axisymmetry, 1 otherwise.

    In plane strain the model is a slice of unit depth, so integrals are per
    metre of depth.
    """
    if kind == "axisymmetric":
        return 2 * math.pi * ufl.SpatialCoordinate(mesh)[0]
    return 1.0
