"""Sensor bookkeeping: fibre frames, model bases and the figure panels of the Bragg shifts."""

import math

import numpy as np
import pytest

from chemomech.output.figures import _signal_panels
from chemomech.sensors.fbg import StrainOptics, fibre_axes, model_point_and_basis


def test_fibre_frame_is_orthonormal_and_right_handed():
    frame = fibre_axes([1.0, 2.0, 2.0], transverse=[0.0, 0.0, 1.0])
    assert frame @ frame.T == pytest.approx(np.eye(3), abs=1e-14)
    assert np.linalg.det(frame) == pytest.approx(1.0)
    assert frame[2] == pytest.approx(np.array([1.0, 2.0, 2.0]) / 3.0)
    assert frame[0] @ np.array([0.0, 0.0, 1.0]) > 0  # x' is the projected transverse direction


def test_axisymmetric_basis_follows_the_azimuth():
    point, basis = model_point_and_basis("axisymmetric", (3.0, 4.0, 7.0))
    assert point == pytest.approx([5.0, 7.0, 0.0])
    # a radial Cartesian vector at this azimuth is pure r; a tangential one pure θ
    assert basis @ np.array([0.6, 0.8, 0.0]) == pytest.approx([1.0, 0.0, 0.0])
    assert basis @ np.array([-0.8, 0.6, 0.0]) == pytest.approx([0.0, 0.0, 1.0])


def test_temperature_term_and_sensitivity():
    """(1 − p_e) λ_B ≈ 1.2 pm/µε for silica; 10 pm/K adds to both axes."""
    optics = StrainOptics(1550e-9, 1.45, 0.12, 0.27, 10e-12, 2.0)
    nu = 0.17
    shift_x, shift_y = optics.shifts(-nu * 1e-6, -nu * 1e-6, 1e-6)
    assert shift_x == shift_y
    assert (shift_x - 20e-12) / 1e-12 == pytest.approx(1.2, abs=0.02)
    assert math.isclose(optics.shifts(0, 0, 0)[0], 20e-12)


def test_bragg_shifts_get_their_own_panel():
    series = {
        "stack_pressure [MPa]": [0, 1],
        "thickness_change [um]": [0, 0],
        "f1_bragg_shift_x [pm]": [0, 1],
        "f1_bragg_shift_y [pm]": [0, 2],
        "f2_bragg_shift_x [pm]": [0, 3],
        "f2_bragg_shift_y [pm]": [0, 4],
        "lithiation [-]": [0, 1],
    }
    labels = [label for label, _ in _signal_panels(series)]
    assert labels == ["stack pressure [MPa]", "thickness change [um]", "Bragg shift [pm]", "lithiation [-]"]
    assert len(_signal_panels(series)[2][1]) == 4


@pytest.mark.parametrize("degree", [1, 2])
def test_load_cell_form_on_the_top_layer_equals_the_full_form(degree):
    """on_support keeps every region's integrand and drops only cells where the probe vanishes."""
    import ufl

    from chemomech.dolfinx_compat import MPI, dolfinx
    from chemomech.sensors.plunger import on_support

    mesh = dolfinx.mesh.create_unit_cube(MPI.COMM_WORLD, 6, 6, 6, dolfinx.mesh.CellType.tetrahedron)
    tdim = mesh.topology.dim
    cells = np.arange(mesh.topology.index_map(tdim).size_local + mesh.topology.index_map(tdim).num_ghosts, dtype=np.int32)
    midpoints = dolfinx.mesh.compute_midpoints(mesh, tdim, cells)
    tagged = cells[midpoints[:, 1] < 0.8]  # the cells with y > 0.8 stay untagged
    tags = dolfinx.mesh.meshtags(mesh, tdim, tagged, np.where(midpoints[tagged, 0] < 0.5, 3, 5).astype(np.int32))
    space = dolfinx.fem.functionspace(mesh, ("Lagrange", degree, (3,)))
    u, probe = dolfinx.fem.Function(space), dolfinx.fem.Function(space)
    u.interpolate(lambda x: np.stack([x[0] * x[2] ** 2, np.sin(x[1]) * x[2], x[2] ** 3 + x[0]]))
    top = dolfinx.mesh.locate_entities_boundary(mesh, tdim - 1, lambda x: np.isclose(x[2], 1.0))
    probe.x.array[dolfinx.fem.locate_dofs_topological(space.sub(2), tdim - 1, top)] = 1.0
    dx = ufl.Measure("dx", domain=mesh, subdomain_data=tags)
    stress = ufl.grad(u) + ufl.grad(u).T
    form = 2.0 * ufl.inner(stress, ufl.grad(probe)) * dx(3) + 7.0 * ufl.inner(stress, ufl.grad(probe)) * dx((5,))
    form += ufl.inner(u, probe) * dx  # everywhere, the untagged cells included

    def total(f):
        return mesh.comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(f)))

    full, restricted = total(form), total(on_support(form, probe))
    assert abs(full) > 1e-3
    assert restricted == pytest.approx(full, rel=1e-13)
    support = on_support(form, probe).integrals()[0].subdomain_data()
    layer = mesh.comm.allreduce(support.indices.size)
    assert layer < mesh.comm.allreduce(cells.size) / 3
