"""Fibre Bragg grating read from the host strain (physics.md section 7).

The fibre is a straight line through the grating centre along the unit
vector z' (``axis``), with transverse axes x' (``transverse``, or a normal
chosen for it) and y' = z' × x'. The grating of length L is sampled at n
points; at each point the strain along a fibre axis e is

    ε_e = √(e·C·e) − 1   (finite strain, C = FᵀF),    ε_e = e·ε·e   (small strain),

averaged over the grating. The Bragg shifts of the two polarisation axes are

    Δλ_x/λ_B = ε_z − (n²/2)[p11 ε_x + p12 (ε_y + ε_z)] + ξ_T ΔT,
    Δλ_y/λ_B = ε_z − (n²/2)[p11 ε_y + p12 (ε_x + ε_z)] + ξ_T ΔT,

with ξ_T λ_B the temperature sensitivity; λ_x − λ_y is the birefringent
split of a transverse load. With the fibre's own lateral contraction
(ε_x = ε_y = −ν_f ε_z) both reduce to (1 − p_e) ε_z, p_e = (n²/2)[p12 − ν_f (p11 + p12)].
The fibre reads the host strain as a gauge would (its stiffness is not
modelled), relative to the fabricated, unloaded state. Positions and
directions are Cartesian (x, y, z), z the stack axis; an axisymmetric model
is read at the azimuth of each point, a plane-strain model in its x–z plane.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import ufl

from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.errors import GeometryError

PICOMETRE = 1.0e12
MICROSTRAIN = 1.0e6


@dataclass(frozen=True)
class StrainOptics:
    """Optical constants of the fibre and its temperature term."""

    wavelength: float  # λ_B, m
    effective_index: float
    p11: float
    p12: float
    temperature_sensitivity: float  # m/K
    temperature_change: float  # K

    def shifts(self, eps_x: float, eps_y: float, eps_z: float) -> tuple[float, float]:
        """(Δλ_x, Δλ_y) in m for mean strains along the fibre axes."""
        half_n2 = self.effective_index**2 / 2
        thermal = self.temperature_sensitivity * self.temperature_change
        shift_x = eps_z - half_n2 * (self.p11 * eps_x + self.p12 * (eps_y + eps_z))
        shift_y = eps_z - half_n2 * (self.p11 * eps_y + self.p12 * (eps_x + eps_z))
        return self.wavelength * shift_x + thermal, self.wavelength * shift_y + thermal


def fibre_axes(axis, transverse=None) -> np.ndarray:
    """Rows x', y', z': an orthonormal fibre frame in Cartesian components."""
    z = np.asarray(axis, dtype=float)
    z /= np.linalg.norm(z)
    if transverse is None:
        helper = np.eye(3)[np.argmin(np.abs(z))]
        transverse = helper - (helper @ z) * z
    x = np.asarray(transverse, dtype=float)
    x = x - (x @ z) * z
    x /= np.linalg.norm(x)
    return np.array([x, np.cross(z, x), z])


def model_point_and_basis(kind: str, point) -> tuple[np.ndarray, np.ndarray]:
    """Model coordinates of a Cartesian point and the rows of the 3×3 model basis there.

    Model bases: (r, z, θ) in axisymmetry, (x, z, y) in plane strain, (x, y, z) in 3D.
    """
    x, y, z = point
    if kind == "axisymmetric":
        phi = math.atan2(y, x)
        basis = np.array([[math.cos(phi), math.sin(phi), 0.0], [0.0, 0.0, 1.0], [-math.sin(phi), math.cos(phi), 0.0]])
        return np.array([math.hypot(x, y), z, 0.0]), basis
    if kind == "plane_strain":
        return np.array([x, z, 0.0]), np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    return np.array([x, y, z], dtype=float), np.eye(3)


class FibreBraggGrating:
    """Mean strains on the fibre axes over the grating and the Bragg shifts."""

    def __init__(self, model, name: str, centre, axis, transverse, length: float, samples: int, optics: StrainOptics):
        self.name = name
        self.optics = optics
        mesh = model.domain.mesh
        self._comm = mesh.comm
        frame = fibre_axes(axis, transverse)
        offsets = np.linspace(-0.5, 0.5, samples) * length
        cartesian = np.asarray(centre, dtype=float) + offsets[:, None] * frame[2]
        located = [model_point_and_basis(model.kind, p) for p in cartesian]
        self._points = np.array([p for p, _ in located])
        # fibre axes in the model basis at every sample point: (samples, 3 axes, 3 components)
        self._directions = np.array([frame @ basis.T for _, basis in located])
        self._finite = model.kinematics == "finite_strain"
        H = model.H
        tensor = (ufl.Identity(3) + H).T * (ufl.Identity(3) + H) if self._finite else ufl.sym(H)
        degree = max(model.space.element.basix_element.degree - 1, 0)
        space = dolfinx.fem.functionspace(mesh, ("DG", degree, (3, 3)))
        self._tensor = dolfinx.fem.Function(space)
        self._expression = dolfinx.fem.Expression(tensor, space.element.interpolation_points)
        self._cells, self._point_index = self._locate(mesh)

    def _locate(self, mesh):
        """Owned cells holding each sample point; every point must lie in the model."""
        tdim = mesh.topology.dim
        owned = np.arange(mesh.topology.index_map(tdim).size_local, dtype=np.int32)
        tree = dolfinx.geometry.bb_tree(mesh, tdim, entities=owned)
        candidates = dolfinx.geometry.compute_collisions_points(tree, self._points)
        colliding = dolfinx.geometry.compute_colliding_cells(mesh, candidates, self._points)
        cells, index = [], []
        for i in range(len(self._points)):
            links = colliding.links(i)
            cells.extend(links)
            index.extend([i] * len(links))
        found = np.zeros(len(self._points))
        found[index] = 1.0
        found = self._comm.allreduce(found, op=MPI.SUM)
        if not np.all(found > 0):
            missing = self._points[found == 0][0]
            raise GeometryError(
                f"sensor {self.name!r}: the grating leaves the model (model point {missing[: mesh.geometry.dim]} m); "
                "move or shorten it"
            )
        return np.asarray(cells, dtype=np.int32), np.asarray(index, dtype=np.int64)

    def strains(self) -> np.ndarray:
        """Mean strains (ε_x', ε_y', ε_z') on the fibre axes over the grating."""
        self._tensor.interpolate(self._expression)
        n = len(self._points)
        sums, counts = np.zeros((n, 3)), np.zeros(n)
        if len(self._cells):
            values = self._tensor.eval(self._points[self._point_index], self._cells).reshape(-1, 3, 3)
            directions = self._directions[self._point_index]
            along = np.einsum("kai,kij,kaj->ka", directions, values, directions)
            if self._finite:
                along = np.sqrt(along) - 1.0
            np.add.at(sums, self._point_index, along)
            np.add.at(counts, self._point_index, 1.0)
        sums = self._comm.allreduce(sums, op=MPI.SUM)
        counts = self._comm.allreduce(counts, op=MPI.SUM)
        return (sums / counts[:, None]).mean(axis=0)

    def read(self) -> dict[str, float]:
        """Series columns of this grating."""
        eps_x, eps_y, eps_z = self.strains()
        shift_x, shift_y = self.optics.shifts(eps_x, eps_y, eps_z)
        name = self.name
        return {
            f"{name}_axial_strain [ue]": eps_z * MICROSTRAIN,
            f"{name}_transverse_strain_x [ue]": eps_x * MICROSTRAIN,
            f"{name}_transverse_strain_y [ue]": eps_y * MICROSTRAIN,
            f"{name}_bragg_shift_x [pm]": shift_x * PICOMETRE,
            f"{name}_bragg_shift_y [pm]": shift_y * PICOMETRE,
            f"{name}_bragg_split [pm]": (shift_x - shift_y) * PICOMETRE,
        }
