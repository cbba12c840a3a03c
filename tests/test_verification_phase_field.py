"""Verification: phase-field fracture (physics.md sections 8 and 10g).

* Homogeneous bar under uniaxial stress (plane strain with ν = 0, so the
  bar is in uniaxial stress and strain, and all its energy Eε²/2 is tensile
  in both splits), displacement control, finite strain at strains of about
  1e-3: AT2 damage d(ε) = Eε²ℓ/(Eε²ℓ + G_c) and peak stress
  (3/16)√(3EG_c/ℓ), AT1 elastic limit √(3EG_c/(8ℓ)), within 1 %. The
  finite-strain homogeneous solutions (d = 2ψℓ/(2ψℓ + G_c) with the
  neo-Hookean ψ(s) = μ/2 (s² − 1) − μ ln s, AT1 1 − d = 3G_c/(16ℓψ) past
  the limit) are matched to solver tolerance.
* Pure compression (confined, and hydrostatic) leaves d = 0 in both splits.
"""

import math

import numpy as np
import pytest
import ufl

from chemomech.case.schema import Solver
from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.geometry.domain import Domain
from chemomech.physics.fracture.damage import DamageProblem
from chemomech.physics.fracture.phase_field import PhaseField, PhaseFieldLaw
from chemomech.physics.mechanics import MechanicsModel
from chemomech.solve.newton import NewtonSolver
from closed_forms import at1_elastic_limit, at2_homogeneous_damage, at2_peak_stress, lame

E, GC, ELL = 20e9, 2.7, 50e-6
SPLITS = ["volumetric_deviatoric", "spectral"]


class UniformFields:
    """The fields a MechanicsModel reads: one elastic material, no growth."""

    materials: dict = {}

    def __init__(self, mesh, E: float, nu: float, growth=None):
        mu, lmbda = lame(E, nu)
        self.mu = dolfinx.fem.Constant(mesh, mu)
        self.lmbda = dolfinx.fem.Constant(mesh, lmbda)
        self.growth = growth

    def growth_tensor(self, axial: int):
        return ufl.Identity(3) if self.growth is None else self.growth * ufl.Identity(3)


def rectangle(length: float, height: float, cells) -> Domain:
    """[0, L] × [0, H] in triangles, region ``solid``, sides left/right/bottom/top."""
    comm = MPI.COMM_WORLD
    mesh = dolfinx.mesh.create_rectangle(comm, [[0, 0], [length, height]], cells, dolfinx.mesh.CellType.triangle)
    tdim = mesh.topology.dim
    cell_map = mesh.topology.index_map(tdim)
    all_cells = np.arange(cell_map.size_local + cell_map.num_ghosts, dtype=np.int32)
    sides = {
        "left": lambda x: np.isclose(x[0], 0.0),
        "right": lambda x: np.isclose(x[0], length),
        "bottom": lambda x: np.isclose(x[1], 0.0),
        "top": lambda x: np.isclose(x[1], height),
    }
    facets = [dolfinx.mesh.locate_entities_boundary(mesh, tdim - 1, marker) for marker in sides.values()]
    values = np.concatenate([np.full_like(f, tag) for tag, f in enumerate(facets, start=1)])
    facets = np.concatenate(facets)
    order = np.argsort(facets)
    return Domain(
        mesh=mesh,
        cell_tags=dolfinx.mesh.meshtags(mesh, tdim, all_cells, np.ones_like(all_cells)),
        facet_tags=dolfinx.mesh.meshtags(mesh, tdim - 1, facets[order], values[order]),
        regions={"solid": 1},
        boundaries={name: tag for tag, name in enumerate(sides, start=1)},
        kind="plane_strain",
        loaded_area=height,
        height=height,
    )


class Specimen:
    """A MechanicsModel with a phase field on a Domain and its staggered solve."""

    def __init__(self, domain, law: PhaseFieldLaw, *, nu=0.0, growth=None, kinematics="finite_strain", prefix="pf"):
        self.domain = domain
        self.phase_field = PhaseField(domain, {"solid": law})
        self.model = MechanicsModel(
            domain,
            UniformFields(domain.mesh, E, nu, growth),
            kinematics=kinematics,
            degree=1,
            quadrature_degree=None,
            phase_field=self.phase_field,
        )
        self.damage = DamageProblem(self.phase_field, self.model, prefix=f"{prefix}_damage_")
        self.settings = Solver(linear_solver="mumps", newton_rtol=1e-10)
        self.prefix = prefix
        self.newton = None

    def set_bcs(self, bcs) -> None:
        residual = self.model.internal_residual
        self.newton = NewtonSolver(
            [residual], [self.model.u], bcs, self.settings, prefix=f"{self.prefix}_mech_", force_scale=self.model.force_scale(E)
        )

    def step(self, tolerance: float = 1e-8, max_iterations: int = 200) -> int:
        """Alternate mechanics and damage to a change of d below ``tolerance``; returns the iterations."""
        self.damage.begin_step()
        for iteration in range(1, max_iterations + 1):
            stats = self.newton.solve()
            assert stats.converged, stats
            solve = self.damage.solve()
            assert solve.converged
            if solve.change < tolerance:
                self.damage.commit()
                return iteration
        raise AssertionError(f"staggering did not converge in {max_iterations} iterations")

    def mean(self, expression) -> float:
        comm = self.domain.mesh.comm
        integral = comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(expression * self.model.dx)))
        volume = comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(1.0 * self.model.dx)))
        return integral / volume


# --- homogeneous bar ----------------------------------------------------------------------

BAR_LENGTH = 1e-4


def bar(model: str, split: str, prefix: str) -> tuple[Specimen, dolfinx.fem.Constant]:
    """The bar on 2×1 cells: u_x = 0 left, u_x = ε L right, u_y = 0 at the bottom."""
    specimen = Specimen(rectangle(BAR_LENGTH, BAR_LENGTH / 2, [2, 1]), PhaseFieldLaw(model, GC, ELL, split, 0.0), prefix=prefix)
    model_ = specimen.model
    pull = dolfinx.fem.Constant(specimen.domain.mesh, 0.0)
    right = model_.boundary_dofs("right", 0)
    bcs = [
        model_.fixed_component("left", 0),
        model_.fixed_component("bottom", 1),
        dolfinx.fem.dirichletbc(pull, right, model_.space.sub(0)),
    ]
    specimen.set_bcs(bcs)
    return specimen, pull


def neo_hookean_uniaxial_energy(stretch: float) -> float:
    """ψ(s) = μ/2 (s² − 1) − μ ln s for F = diag(s, 1, 1) at λ = 0."""
    mu = E / 2
    return mu / 2 * (stretch**2 - 1) - mu * math.log(stretch)


def run_bar(model: str, split: str, strains) -> list[tuple[float, float, float]]:
    """(ε, mean d, mean P_xx) at each strain of a monotone loading."""
    specimen, pull = bar(model, split, f"bar_{model}_{split[:4]}")
    stress = specimen.model.law.first_piola(specimen.model.H)[0, 0]
    history = []
    for strain in strains:
        pull.value = strain * BAR_LENGTH
        specimen.step()
        history.append((strain, specimen.mean(specimen.phase_field.d), specimen.mean(stress)))
    return history


@pytest.mark.parametrize("split", SPLITS)
def test_at2_homogeneous_bar(split):
    peak_strain = math.sqrt(GC / (3 * E * ELL))
    strains = peak_strain * np.linspace(0.05, 2.0, 40)
    history = run_bar("AT2", split, strains)
    for strain, d, _ in history:
        psi = neo_hookean_uniaxial_energy(1 + strain)
        assert d == pytest.approx(2 * psi * ELL / (2 * psi * ELL + GC), rel=1e-7)
        assert d == pytest.approx(at2_homogeneous_damage(E, strain, GC, ELL), rel=0.01)
    peak = max(stress for *_, stress in history)
    assert peak == pytest.approx(at2_peak_stress(E, GC, ELL), rel=0.01)


@pytest.mark.parametrize("split", SPLITS)
def test_at1_elastic_limit(split):
    limit = at1_elastic_limit(E, GC, ELL)
    limit_strain = limit / E
    strains = limit_strain * np.concatenate([np.linspace(0.1, 0.99, 8), np.linspace(1.0, 1.5, 26)])
    history = run_bar("AT1", split, strains)
    for strain, d, _ in history:
        psi = neo_hookean_uniaxial_energy(1 + strain)
        expected = max(0.0, 1 - 3 * GC / (16 * ELL * psi))
        assert d == pytest.approx(expected, abs=1e-7)
    undamaged = [stress for strain, d, stress in history if d == 0.0]
    assert len(undamaged) >= 8
    peak = max(stress for *_, stress in history)
    assert peak == pytest.approx(limit, rel=0.01)
    assert history[-1][2] < 0.8 * limit  # softening past the limit


# --- compression ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["AT1", "AT2"])
@pytest.mark.parametrize("split", SPLITS)
def test_hydrostatic_compression_does_not_crack(model, split):
    """A clamped body that swells (Fe = I/g, elastic strains −ln g ≈ −1 % and −4 %, 10 and 40
    times the AT1 limit strain in tension) keeps d = 0 in both splits."""
    length = 1e-4
    domain = rectangle(length, length, [3, 3])
    growth = dolfinx.fem.Constant(domain.mesh, 1.0)
    specimen = Specimen(
        domain,
        PhaseFieldLaw(model, GC, ELL, split, 1e-6),
        nu=0.3,
        growth=growth,
        prefix=f"hydro_{model}_{split[:4]}",
    )
    m = specimen.model
    specimen.set_bcs([m.fixed_component(side, c) for side in ("left", "right", "top", "bottom") for c in (0, 1)])
    for g in (1.01, 1.04):
        growth.value = g
        specimen.step()
        assert specimen.damage.history.x.array.max(initial=0.0) == 0.0
        assert np.max(np.abs(specimen.phase_field.d.x.array)) == 0.0


@pytest.mark.parametrize("model", ["AT1", "AT2"])
def test_spectral_confined_compression_does_not_crack(model):
    """Uniaxial compression between rollers (all principal strains ≤ 0) keeps d = 0 in the
    spectral split; the volumetric–deviatoric split degrades the shear part there (Amor et al.)."""
    length = 1e-4
    specimen = Specimen(
        rectangle(length, length, [3, 3]), PhaseFieldLaw(model, GC, ELL, "spectral", 1e-6), nu=0.3, prefix=f"conf_{model}"
    )
    m = specimen.model
    push = dolfinx.fem.Constant(specimen.domain.mesh, 0.0)
    bcs = [
        m.fixed_component("left", 0),
        m.fixed_component("bottom", 1),
        m.fixed_component("top", 1),
        dolfinx.fem.dirichletbc(push, m.boundary_dofs("right", 0), m.space.sub(0)),
    ]
    specimen.set_bcs(bcs)
    for strain in (-5e-3, -2e-2):
        push.value = strain * length
        specimen.step()
        assert np.max(np.abs(specimen.phase_field.d.x.array)) == 0.0
