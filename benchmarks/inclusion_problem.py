"""The benchmark problem shared by the hand-written DOLFINx reference and chemomech.

A sulfur particle of radius a at the centre of a cube of Li6PS5Cl (side L)
lithiates uniformly to Li2S in five equal steps of ξ (0.2, 0.4, …, 1.0);
finite strain, compressible neo-Hookean (physics.md section 3) with growth
F = Fe·Fg, Fg = g I, g = (1 + 0.787 ξ)^(1/3) in the particle; the particle's
E and ν go linearly in ξ from sulfur to Li2S; all six faces are walls at
constant gap (zero normal displacement, free tangential sliding).

``write_mesh`` meshes it with gmsh (OCC fragment, first-order tetrahedra,
uniform size h) into a .msh file with physical groups: volumes
``particle`` (1) and ``electrolyte`` (2), faces ``x0, x1, y0, y1, z0, z1``
(1–6, the planes x = 0, x = L, …).
"""

import math
from pathlib import Path

import gmsh

SIDE = 20e-6
"""Cube side L [m]."""
RADIUS = 6.2e-6
"""Particle radius a [m]: 12.5 % of the cube's volume."""
STEPS = 5
SWELLING = 0.787
"""ΔV/V of S → Li2S at ξ = 1 (materials.csv, Li2S volume_ratio_to_S − 1)."""
SULFUR = (9.2e9, 0.30)
LI2S = (80e9, 0.20)
ELECTROLYTE = (22e9, 0.37)
"""(E [Pa], ν) from materials.csv (sulfur, Li2S, Li6PS5Cl)."""

SIZES = {"small": 0.73e-6, "medium": 0.446e-6, "large": 0.254e-6, "tiny": 2.0e-6}
"""Element size h [m]: about 50k, 200k and 1M displacement dofs; ``tiny`` (about 3k) is the suite's smoke test."""

FACES = ("x0", "x1", "y0", "y1", "z0", "z1")


def particle_moduli(xi: float) -> tuple[float, float]:
    """(E, ν) of the particle at ξ: linear from sulfur to Li2S."""
    return tuple((1 - xi) * s + xi * l for s, l in zip(SULFUR, LI2S, strict=True))


def growth_stretch(xi: float) -> float:
    """g = (1 + 0.787 ξ)^(1/3)."""
    return (1 + SWELLING * xi) ** (1 / 3)


def lame(youngs_modulus: float, poisson_ratio: float) -> tuple[float, float]:
    """(μ, λ) from (E, ν)."""
    mu = youngs_modulus / (2 * (1 + poisson_ratio))
    return mu, youngs_modulus * poisson_ratio / ((1 + poisson_ratio) * (1 - 2 * poisson_ratio))


def write_mesh(path: Path, h: float) -> Path:
    """Mesh the particle in its cube at element size h into ``path`` (.msh, gmsh 4.1)."""
    gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        occ = gmsh.model.occ
        box = occ.addBox(0, 0, 0, SIDE, SIDE, SIDE)
        ball = occ.addSphere(SIDE / 2, SIDE / 2, SIDE / 2, RADIUS)
        occ.fragment([(3, box)], [(3, ball)])
        occ.synchronize()
        volumes = gmsh.model.getEntities(3)
        particle = [tag for _, tag in volumes if _is_ball(tag)]
        electrolyte = [tag for _, tag in volumes if tag not in particle]
        gmsh.model.addPhysicalGroup(3, particle, 1, name="particle")
        gmsh.model.addPhysicalGroup(3, electrolyte, 2, name="electrolyte")
        for index, name in enumerate(FACES):
            axis, side = index // 2, index % 2
            faces = [tag for _, tag in gmsh.model.getEntities(2) if _on_plane(tag, axis, side * SIDE)]
            gmsh.model.addPhysicalGroup(2, faces, index + 1, name=name)
        gmsh.option.setNumber("Mesh.MeshSizeMax", h)
        gmsh.option.setNumber("Mesh.MeshSizeMin", h)
        gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
        gmsh.option.setNumber("Mesh.Algorithm3D", 10)  # HXT: parallel, fast
        gmsh.model.mesh.generate(3)
        path.parent.mkdir(parents=True, exist_ok=True)
        gmsh.write(str(path))
    finally:
        gmsh.finalize()
    return path


def _is_ball(tag: int) -> bool:
    return math.isclose(gmsh.model.occ.getMass(3, tag), 4 / 3 * math.pi * RADIUS**3, rel_tol=1e-3)


def _on_plane(tag: int, axis: int, value: float) -> bool:
    """A flat box face: its centre of mass lies on the plane (the sphere's does not)."""
    return abs(gmsh.model.occ.getCenterOfMass(2, tag)[axis] - value) < 1e-9 * SIDE
