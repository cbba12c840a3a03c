"""Computational homogenisation (chemomech homogenize; physics.md sections 9, 10h).

* A homogeneous RVE (every phase one material) is its material: both
  boundary conditions give its K and G and the swelling strain g(ξ) − 1.
* A two-phase 3D RVE: the apparent moduli under uniform traction lie below
  those under uniform displacement, and both within the Hashin–Shtrikman
  bounds of the meshed fractions; the apparent swelling strain obeys Levin's
  exact two-phase relation with each apparent compliance,
  ε*_app = (S_app − S_m)(S_p − S_m)⁻¹ ε*_p (uniform stress in both phases
  is a discrete solution too, so it holds to solver tolerance).
* The table is written by the command (also under mpiexec -n 2) and read
  back as a cell-scale material.
"""

import csv
import json

import numpy as np
import pytest

from simulate import simulate

from chemomech.case import load_case_text
from chemomech.cli import main
from chemomech.dolfinx_compat import MPI
from chemomech.materials.homogenization import bulk_shear
from chemomech.upscale.apparent import RVELoading
from chemomech.upscale.command import homogenize_case
from chemomech.materials.tabulated import read_table
from chemomech.upscale.table import phase_bounds, table_row
from chemomech.upscale.voigt import isotropic_projection

E_P, NU_P, E_M, NU_M, BETA = 60e9, 0.25, 20e9, 0.35, 0.3


def rve_case(kind: str, *, homogeneous: bool = False) -> str:
    """Particles in a matrix; ``homogeneous``: both of the particles' material, in a smaller 3D box
    (its apparent moduli are the material's on any mesh)."""
    size = ("[14 um, 14 um, 14 um]" if homogeneous else "[18 um, 18 um, 18 um]") if kind == "3d" else "[30 um, 30 um]"
    matrix = "particle" if homogeneous else "matrix"
    return f"""
name: rve_two_phase
geometry:
  type: rve
  dimension: {kind}
  size: {size}
  matrix: {{name: electrolyte, material: {matrix}}}
  particles:
    - {{name: active, material: particle, volume_fraction: 0.25, radius: 3 um, radius_spread: 0.15}}
  seed: 3
  min_gap: 0.4 um
  boundary: wall
  mesh_size: 2.5 um
  interface_mesh_size: 1 um
materials:
  particle: {{youngs_modulus: {E_P / 1e9} GPa, poisson_ratio: {NU_P}, active_fraction: 1.0, swelling: {{beta: {BETA}}}}}
  matrix: {{youngs_modulus: {E_M / 1e9} GPa, poisson_ratio: {NU_M}}}
fixture: {{type: pressure, pressure: 0 MPa}}
lithiation:
  protocol: [{{step: discharge, rate: 1 C, until_xi: 1.0}}]
solver: {{newton_rtol: 1.0e-12, newton_atol: 1.0e-14}}
"""


def isotropic_compliance(K: float, G: float) -> np.ndarray:
    """6×6 Voigt compliance (engineering shears) of an isotropic solid."""
    lam = K - 2 * G / 3
    C = np.zeros((6, 6))
    C[:3, :3] = lam
    C[np.arange(3), np.arange(3)] += 2 * G
    C[np.arange(3, 6), np.arange(3, 6)] = G
    return np.linalg.inv(C)


@pytest.fixture
def rve_loading():
    """Makes the RVELoading of a case text, and closes it after the test (collective)."""
    made = []

    def make(text: str) -> RVELoading:
        made.append(RVELoading(load_case_text(text)))
        return made[-1]

    yield make
    for loading in made:
        loading.close()


@pytest.mark.parametrize("kind", ["plane_strain", "3d"])
def test_homogeneous_rve_is_its_material(kind, rve_loading):
    loading = rve_loading(rve_case(kind, homogeneous=True))
    K, G = bulk_shear(E_P, NU_P)
    xi = 1.0
    eigen = (1 + BETA * xi) ** (1 / 3) - 1
    for state in loading.apparent(xi, E_P).values():
        assert isotropic_projection(state.stiffness) == pytest.approx((K, G), rel=1e-7)
        normal = state.swelling_strain[: 3 if kind == "3d" else 2]
        # plane strain holds the third direction: the in-plane free expansion is (1 + ν) ε*
        assert normal == pytest.approx(eigen * (1 if kind == "3d" else 1 + NU_P), rel=1e-7)
        assert np.abs(state.swelling_strain[len(normal):]).max() < 1e-9
        row = table_row(state, {})
        assert row["swelling_strain [-]"] == pytest.approx(eigen, rel=1e-7)
        assert row["volume_change [-]"] == pytest.approx(BETA * xi, rel=1e-7)
        assert row["poisson_ratio [-]"] == pytest.approx(NU_P, rel=1e-7)


def test_two_phase_rve_brackets_and_levin(rve_loading):
    loading = rve_loading(rve_case("3d"))
    fractions = loading.phase_fractions()
    assert fractions["active"] == pytest.approx(0.25, rel=0.05) and fractions["void"] < 1e-9
    Kp, Gp = bulk_shear(E_P, NU_P)
    Km, Gm = bulk_shear(E_M, NU_M)
    for xi in (0.0, 1.0):
        states = loading.apparent(xi, E_P)
        bounds = phase_bounds(loading.materials, fractions, xi)
        ud = isotropic_projection(states["uniform_displacement"].stiffness)
        ut = isotropic_projection(states["uniform_traction"].stiffness)
        assert ut[0] < ud[0] and ut[1] < ud[1]
        assert bounds["hs_lower_bulk [Pa]"] < ut[0] and ud[0] < bounds["hs_upper_bulk [Pa]"]
        assert bounds["hs_lower_shear [Pa]"] < ut[1] and ud[1] < bounds["hs_upper_shear [Pa]"]
        eigen = (1 + BETA * xi) ** (1 / 3) - 1
        ones = np.array([1.0, 1, 1, 0, 0, 0])
        for state in states.values():
            S = np.linalg.inv(state.stiffness)
            levin = (S - isotropic_compliance(Km, Gm)) @ ones * eigen / (1 / (3 * Kp) - 1 / (3 * Km))
            assert state.swelling_strain == pytest.approx(levin, abs=1e-8 * max(eigen, 1e-3))


def test_command_writes_the_table(mpi_tmp_path):
    case = load_case_text(rve_case("plane_strain"))
    rows = homogenize_case(case, mpi_tmp_path / "out", (0.0, 0.5, 1.0), announce=lambda _: None)
    assert len(rows) == 6
    table = read_table(mpi_tmp_path / "out" / "homogenized.csv", "uniform_traction")
    assert table["xi [-]"].tolist() == [0.0, 0.5, 1.0]
    assert table["swelling_strain [-]"][0] == pytest.approx(0.0, abs=1e-12)
    assert np.all(np.diff(table["swelling_strain [-]"]) > 0)
    written = [row for row in rows if row["boundary_conditions"] == "uniform_traction"]
    assert table["bulk_modulus [Pa]"] == pytest.approx([row["bulk_modulus [Pa]"] for row in written], rel=1e-9)
    with (mpi_tmp_path / "out" / "homogenized.csv").open() as stream:
        assert next(csv.reader(stream))[0] == "xi [-]"
    assert (mpi_tmp_path / "out" / "homogenized.json").is_file()


def stack_case(table, kind: str) -> str:
    return f"""
name: cell_with_rve_material
geometry:
  type: stack
  dimension: {kind}
  diameter: 400 um
  mesh_size: 50 um
  layers:
    - {{name: cathode, material: rve, thickness: 100 um}}
materials:
  rve: {{homogenized: {{file: {table}, boundary_conditions: uniform_traction}}}}
mechanics: {{kinematics: small_strain}}
fixture: {{type: gap}}
lithiation:
  protocol: [{{step: discharge, rate: 1 C, until_xi: 1.0}}]
outputs: {{fields: false}}
solver: {{max_xi_step: 0.2, newton_rtol: 1.0e-12}}
"""


@pytest.mark.parametrize("kind", ["plane_strain", "3d"])
def test_a_cell_case_names_the_table_as_its_material(mpi_tmp_path, kind):
    """A layer of the tabulated material in a rigid die under a constant gap: σ = −3K(ξ) s(ξ) (physics.md 10b,
    small strain), K and s = Jg^(1/3) − 1 interpolated in the table."""
    homogenize_case(load_case_text(rve_case("plane_strain")), mpi_tmp_path / "rve", (0.0, 0.5, 1.0),
                    announce=lambda _: None)
    table = mpi_tmp_path / "rve" / "homogenized.csv"
    sim, history = simulate(stack_case(table, kind))
    material = sim.materials["cathode"]
    record = json.loads((mpi_tmp_path / "rve" / "homogenized.json").read_text())
    assert material.active_fraction == pytest.approx(record["active_fraction [-]"]) and material.active_fraction > 0.2
    data = read_table(table, "uniform_traction")
    checked = 0
    for state, pressure, _ in history:
        if state.stage != "cycling":
            continue
        K = np.interp(state.xi, data["xi [-]"], data["bulk_modulus [Pa]"])
        s = np.cbrt(1 + np.interp(state.xi, data["xi [-]"], data["volume_change [-]"])) - 1
        assert pressure == pytest.approx(3 * K * s, rel=1e-6, abs=1.0)
        checked += state.xi > 0
    assert checked >= 5


def test_homogenize_command_line(mpi_tmp_path, capsys):
    """Exit 0 with the table written; 2 for a case without a box geometry or a bad --xi, writing nothing."""
    case, inclusion = mpi_tmp_path / "rve.yaml", mpi_tmp_path / "inclusion.yaml"
    if MPI.COMM_WORLD.rank == 0:
        case.write_text(rve_case("plane_strain"))
        inclusion.write_text(INCLUSION)
    MPI.COMM_WORLD.barrier()
    out = mpi_tmp_path / "out"
    assert main(["homogenize", str(case), "-o", str(out), "--xi", "0,1", "-q"]) == 0
    assert len(read_table(out / "homogenized.csv", "uniform_displacement")["xi [-]"]) == 2
    assert main(["homogenize", str(inclusion), "-o", str(mpi_tmp_path / "none")]) == 2
    assert "needs a box geometry" in capsys.readouterr().err or MPI.COMM_WORLD.rank > 0
    with pytest.raises(SystemExit) as exit_:
        main(["homogenize", str(case), "-o", str(mpi_tmp_path / "none"), "--xi", "0,2"])
    assert exit_.value.code == 2
    assert not (mpi_tmp_path / "none").exists()


INCLUSION = """
geometry: {type: inclusion, dimension: axisymmetric, inclusion_radius: 5 um, outer_radius: 15 um,
           inclusion_material: sulfur, matrix_material: Li6PS5Cl}
lithiation:
  protocol: [{step: discharge, rate: 1 C, until_xi: 1.0}]
"""
