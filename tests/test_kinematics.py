"""Kinematics and energies on affine displacement fields (closed forms)."""

import math

import numpy as np
import pytest
import ufl

from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.physics.constitutive import LinearElasticEigenstrain, NeoHookeanGrowth
from chemomech.physics.kinematics import deformation_gradient, small_strain, volume_weight

ALPHA = 0.013


def unit_mesh(gdim: int):
    if gdim == 2:
        return dolfinx.mesh.create_unit_square(MPI.COMM_WORLD, 3, 3)
    return dolfinx.mesh.create_unit_cube(MPI.COMM_WORLD, 2, 2, 2)


def affine(kind: str):
    """u = α X on a mesh away from the axis (x ∈ [1, 2] in axisymmetry)."""
    mesh = unit_mesh(3 if kind == "3d" else 2)
    if kind == "axisymmetric":
        mesh.geometry.x[:, 0] += 1.0
    space = dolfinx.fem.functionspace(mesh, ("Lagrange", 1, (mesh.geometry.dim,)))
    u = dolfinx.fem.Function(space)
    u.interpolate(lambda x: ALPHA * x[: mesh.geometry.dim])
    return mesh, u


def integrate(mesh, expression) -> float:
    return mesh.comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(expression * ufl.dx(domain=mesh))))


def volume(mesh) -> float:
    return integrate(mesh, dolfinx.fem.Constant(mesh, 1.0))


@pytest.mark.parametrize("kind", ["axisymmetric", "3d"])
def test_affine_field_gives_isotropic_stretch(kind):
    mesh, u = affine(kind)
    F = deformation_gradient(u, kind)
    error = ufl.inner(F - (1 + ALPHA) * ufl.Identity(3), F - (1 + ALPHA) * ufl.Identity(3))
    assert integrate(mesh, error) < 1e-24
    eps = small_strain(u, kind)
    assert integrate(mesh, ufl.tr(eps)) / volume(mesh) == pytest.approx(3 * ALPHA, rel=1e-12)


def test_plane_strain_keeps_the_out_of_plane_stretch():
    mesh, u = affine("plane_strain")
    F = deformation_gradient(u, "plane_strain")
    assert integrate(mesh, ufl.det(F)) / volume(mesh) == pytest.approx((1 + ALPHA) ** 2, rel=1e-12)


def test_axisymmetric_volume_weight_integrates_a_ring():
    mesh, _ = affine("axisymmetric")  # r ∈ [1, 2], z ∈ [0, 1]
    ring = integrate(mesh, volume_weight(mesh, "axisymmetric"))
    assert ring == pytest.approx(math.pi * (2**2 - 1**2), rel=1e-12)


@pytest.mark.parametrize("law", [NeoHookeanGrowth, LinearElasticEigenstrain])
def test_growth_matched_stretch_is_stress_free(law):
    """F = g·I with growth g: zero energy and zero stress for either law."""
    mesh, u = affine("3d")
    g = 1 + ALPHA
    model = law(mu=1.0e9, lmbda=2.0e9, Fg=g * ufl.Identity(3))
    H = ufl.grad(u)
    assert abs(integrate(mesh, model.energy(H))) < 1e-6
    P = model.first_piola(H)
    assert math.sqrt(integrate(mesh, ufl.inner(P, P)) / volume(mesh)) < 1e-3  # Pa, against moduli of 1 GPa


def test_neo_hookean_energy_carries_the_growth_jacobian():
    """W = Jg ψ(Fe): for F = s·I the energy is g³ ψ(s/g), checked against the formula."""
    mesh, u = affine("3d")
    g, mu, lmbda = 1.1, 1.0e9, 2.0e9
    model = NeoHookeanGrowth(mu=mu, lmbda=lmbda, Fg=dolfinx.fem.Constant(mesh, g) * ufl.Identity(3))
    s = (1 + ALPHA) / g
    expected = g**3 * (mu / 2 * (3 * s**2 - 3) - mu * np.log(s**3) + lmbda / 2 * np.log(s**3) ** 2)
    assert integrate(mesh, model.energy(ufl.grad(u))) / volume(mesh) == pytest.approx(expected, rel=1e-12)
