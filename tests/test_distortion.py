"""Element distortion: J = det F and the stretch ratio κ, their thresholds, and where the warnings go."""

import json

import numpy as np
import pytest
import ufl

from chemomech.case import load_case_text
from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.output.distortion import J_MAX, J_MIN, K_MAX, DistortionMonitor, measures, right_cauchy_green
from chemomech.output.stress import StressFields
from chemomech.solve.run import run_case
from chemomech.solve.simulation import build_simulation


def test_measures_of_homogeneous_deformations():
    gamma = 1.5
    shear = np.eye(3)
    shear[0, 1] = gamma
    f = np.array([np.diag([2.0, 1.0, 0.5]), 1.5 * np.eye(3), shear, np.diag([-1.0, 1.0, 1.0])])
    j, kappa = measures(f)
    lam = 0.5 * (gamma + np.sqrt(gamma**2 + 4))  # largest stretch of simple shear; the smallest is 1/λ
    assert j == pytest.approx([1.0, 3.375, 1.0, -1.0])
    assert kappa == pytest.approx([4.0, 1.0, lam**2, 1.0])


def test_right_cauchy_green_is_the_transposed_product():
    """C = FᵀF, not F Fᵀ (which has the same eigenvalues, so the measures alone would not tell)."""
    f = np.random.default_rng(3).normal(size=(7, 3, 3))
    assert np.allclose(right_cauchy_green(f), f.transpose(0, 2, 1) @ f, rtol=1e-14, atol=1e-14)
    assert not np.allclose(right_cauchy_green(f), f @ f.transpose(0, 2, 1))


INCLUSION = """
name: distortion
geometry:
  type: inclusion
  dimension: {dimension}
  inclusion_radius: 5 um
  outer_radius: 15 um
  inclusion_material: sulfur
  matrix_material: Li6PS5Cl
  mesh_size: 5 um
"""


@pytest.mark.parametrize("dimension", ["axisymmetric", "plane_strain"])
def test_monitor_on_affine_displacements(dimension):
    """u = (a x, b z) gives F = diag(1 + a, 1 + b, 1 + a) in axisymmetry (hoop 1 + u_r / r), diag(1 + a, 1 + b, 1) in plane strain."""
    sim = build_simulation(load_case_text(INCLUSION.format(dimension=dimension)), MPI.COMM_WORLD)
    monitor = DistortionMonitor(sim.model)
    hoop = dimension == "axisymmetric"

    def strain(a, b):
        sim.model.u.interpolate(lambda x: np.vstack([a * x[0], b * x[1]]))
        return monitor.check("in the test")

    assert strain(0.0, 0.0) == []
    assert monitor.extremes == pytest.approx({"det_F_min [-]": 1.0, "det_F_max [-]": 1.0, "stretch_ratio_max [-]": 1.0})
    values = monitor.evaluate()
    assert values["det_F_min"][1] in ("inclusion", "matrix")
    # inside the thresholds: 50 % swelling in-plane
    assert strain(0.5, 0.5) == []
    assert monitor.extremes["det_F_max [-]"] == pytest.approx(1.5**3 if hoop else 1.5**2)
    # compressed to det F = 0.1 * (1 or 1): below J_MIN, and a stretch ratio of 10 > K_MAX
    warnings = strain(0.0, -0.9)
    assert len(warnings) == 2
    assert f"det F = 0.1 < {J_MIN} in" in warnings[0] and "in the test" in warnings[0]
    assert f"stretch ratio 10 > {K_MAX} in" in warnings[1]
    assert monitor.extremes["det_F_min [-]"] == pytest.approx(0.1)
    assert monitor.extremes["stretch_ratio_max [-]"] == pytest.approx(10.0)
    # the same measures again: each warns once per run
    assert strain(0.0, -0.95) == []
    # a swollen cell: det F = 2^3 = 8 (axisymmetric) or 2^2 = 4 (plane strain)
    warnings = strain(1.0, 1.0)
    assert (len(warnings) == 1 and f"det F = 8 > {J_MAX}" in warnings[0]) if hoop else warnings == []
    assert monitor.extremes["det_F_min [-]"] == pytest.approx(0.05)
    assert monitor.extremes["det_F_max [-]"] == pytest.approx(8.0 if hoop else 4.0)


BALLOON = """
name: balloon
geometry:
  type: inclusion
  dimension: axisymmetric
  inclusion_radius: 5 um
  outer_radius: 15 um
  inclusion_material: balloon
  matrix_material: Li6PS5Cl
  mesh_size: 2.5 um
materials:
  balloon: {base: sulfur, swelling: {beta: 8}}
lithiation:
  protocol: [{step: discharge, rate: 1 C, until_xi: 1.0}]
outputs: {fields: false}
solver: {max_xi_step: 0.125}
"""


def test_extreme_swelling_warns_in_log_summary_and_report(mpi_tmp_path):
    """A particle swelling nine-fold (β = 8) distorts the mesh: one warning per measure, everywhere it should be."""
    outdir = mpi_tmp_path / "out"
    summary = run_case(load_case_text(BALLOON), outdir)
    assert summary["status"] == "completed"
    distortion = [w for w in summary["warnings"] if w.startswith("large element distortion")]
    assert len(distortion) == 2
    assert any(f"> {J_MAX} in inclusion" in w for w in distortion)
    assert any("stretch ratio" in w and f"> {K_MAX} in matrix" in w for w in distortion)
    assert summary["distortion"]["det_F_max [-]"] > J_MAX
    if MPI.COMM_WORLD.rank == 0:
        assert json.loads((outdir / "summary.json").read_text())["warnings"] == summary["warnings"]
        log = (outdir / "run.log").read_text()
        report = (outdir / "report.html").read_text()
        for warning in distortion:
            assert f"WARNING {warning}" in log
            assert warning.replace(">", "&gt;") in report


def test_chunked_outputs_equal_one_pass(monkeypatch):
    """Stress fields, region extremes and distortion measures evaluated 4 cells at a time equal one pass over all cells.

    And the region extremes are those of the fields, whether the fields are kept or not.
    """
    sim = build_simulation(load_case_text(INCLUSION.format(dimension="plane_strain")), MPI.COMM_WORLD)
    sim.model.u.interpolate(lambda x: np.vstack([0.2 * x[0] + 1e4 * x[1] ** 2, -0.1 * x[1] + 3e3 * x[0] * x[1]]))
    monitor = DistortionMonitor(sim.model)
    with_fields, without_fields = StressFields(sim.model, keep_fields=True), StressFields(sim.model, keep_fields=False)
    assert not hasattr(without_fields, "sigma1")
    for stresses in (with_fields, without_fields):
        stresses.keep_point_sigma1()

    def outputs():
        for stresses in (with_fields, without_fields):
            stresses.update()
        fields = [f.x.array.copy() for f in (with_fields.sigma1, with_fields.sigma3, with_fields.von_mises)]
        statistics = without_fields.region_statistics()
        assert with_fields.region_statistics() == statistics
        point_sigma1 = with_fields.point_sigma1(cells)
        assert np.array_equal(without_fields.point_sigma1(cells), point_sigma1)
        return fields, statistics, with_fields.cell_mean(cells), point_sigma1, monitor.evaluate()

    index_map = sim.domain.mesh.topology.index_map(sim.domain.mesh.topology.dim)
    cells = np.arange(index_map.size_local + index_map.num_ghosts, dtype=np.int32)
    fields, statistics, cell_stress, point_sigma1, measured = outputs()
    dofs = sim.domain.cell_dofs
    for region, owned in sim.domain.owned_region_cells.items():
        assert region in statistics
        extremes = (fields[0][dofs[owned]].max(), fields[1][dofs[owned]].min(), fields[2][dofs[owned]].max())
        reduced = [MPI.COMM_WORLD.allreduce(value, op=op) for value, op in zip(extremes, (MPI.MAX, MPI.MIN, MPI.MAX))]
        assert [statistics[region][key] for key in ("sigma1_max", "sigma3_min", "von_mises_max")] == reduced
    assert statistics["inclusion"]["sigma1_max"] != statistics["matrix"]["sigma1_max"]
    monkeypatch.setattr("chemomech.output.chunks.CHUNK", 4)
    chunked_fields, chunked_statistics, chunked_stress, chunked_sigma1, chunked_measured = outputs()
    assert cells.size > 4 * 2  # three chunks or more
    assert np.abs(cell_stress).max() > 0
    assert chunked_statistics == statistics
    chunked = chunked_fields + [chunked_stress, chunked_sigma1]
    for one, many in zip(fields + [cell_stress, point_sigma1], chunked, strict=True):
        assert np.array_equal(one, many)
    assert chunked_measured == measured and measured["det_F_max"][0] != measured["det_F_min"][0]


@pytest.mark.parametrize("dimension, solver", [
    ("axisymmetric", "{element_degree: 1}"), ("plane_strain", "{element_degree: 2, quadrature_degree: 4}"),
    ("3d", "{element_degree: 1}"),
])
def test_hydrostatic_mean_is_the_assembled_integral(dimension, solver):
    """The regions' mean σ_h, summed from the update's point values, is ∫ tr σ/3 w dx / ∫ w dx assembled by dolfinx.

    Axisymmetry has a weight 2π r that varies in a cell; the degree-4 rule on
    triangles has six points of two weights. A smooth expansion keeps the
    means far from zero.
    """
    text = INCLUSION.format(dimension=dimension) + f"solver: {solver}\n"
    sim = build_simulation(load_case_text(text), MPI.COMM_WORLD)
    model, gdim = sim.model, sim.domain.mesh.geometry.dim
    model.u.interpolate(lambda x: 0.05 * x[:gdim] + 2e3 * x[:gdim] * x[0])
    stresses = StressFields(model, keep_fields=False)
    stresses.update()
    statistics = stresses.region_statistics()
    sigma = model.cauchy_stress()
    for region, tag in sim.domain.regions.items():
        integral, volume = (
            MPI.COMM_WORLD.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(f * model.weight * model.dx(tag))))
            for f in (ufl.tr(sigma) / 3, 1.0)
        )
        assert abs(integral / volume) > 1e6
        assert statistics[region]["hydrostatic_mean"] == pytest.approx(integral / volume, rel=1e-12)
