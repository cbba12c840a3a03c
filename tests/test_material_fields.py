"""MaterialFields: uniform lithiation per region, or per cell from a field (lithiate_from).

A field-driven region takes ξ at each cell's midpoint (the cell mean of a P1
field) and the moduli and growth of its material there, clipped to [0, 1];
the other regions keep the uniform ξ; ``refresh`` re-reads the field.
"""

import numpy as np
import ufl

from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.materials.material import Material, SwellingLaw
from chemomech.physics.material_fields import MaterialFields
from test_verification_diffusion import two_region_domain

ACTIVE = Material(
    "active",
    10e9,
    0.3,
    active_fraction=1.0,
    swelling=SwellingLaw(table=((0, 0.5, 1), (0, 0.526, 0.787))),
    lithiated_youngs_modulus=20e9,
    lithiated_poisson_ratio=0.25,
)
PASSIVE = Material("passive", 22e9, 0.37)


def test_a_region_takes_its_lithiation_per_cell_from_a_field():
    domain = two_region_domain(4)  # 'particle' for x < 1, 'electrolyte' beyond
    fields = MaterialFields(domain, {"particle": ACTIVE, "electrolyte": PASSIVE}, xi_initial=0.0)
    space = dolfinx.fem.functionspace(domain.mesh, ("Lagrange", 1))
    c = dolfinx.fem.Function(space)
    c.interpolate(lambda x: 1.4 * x[0] - 0.2)  # ξ from -0.2 to 1.2 across the particle: clipped at both ends
    fields.lithiate_from(["particle"], c)
    fields.update(0.3)  # the uniform ξ of the other regions (passive: ξ = 0 there)

    midpoint = dolfinx.fem.Function(fields.xi.function_space)
    points = midpoint.function_space.element.interpolation_points
    midpoint.interpolate(dolfinx.fem.Expression(ufl.SpatialCoordinate(domain.mesh)[0], points))
    cells = fields.region_cells["particle"]
    xi = np.clip(1.4 * midpoint.x.array[cells] - 0.2, 0.0, 1.0)
    comm = domain.mesh.comm
    low = comm.allreduce(xi.min(initial=np.inf), op=MPI.MIN)
    high = comm.allreduce(xi.max(initial=-np.inf), op=MPI.MAX)
    assert low == 0.0 and high == 1.0  # both ends clipped somewhere
    np.testing.assert_allclose(fields.xi.x.array[cells], xi, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fields.g.x.array[cells], np.cbrt(ACTIVE.growth_jacobian(xi)), rtol=1e-12)
    np.testing.assert_allclose(fields.mu.x.array[cells], ACTIVE.lame(xi)[0], rtol=1e-12)
    passive = fields.region_cells["electrolyte"]
    assert np.all(fields.g.x.array[passive] == 1.0) and np.all(fields.xi.x.array[passive] == 0.0)
    assert np.allclose(fields.mu.x.array[passive], PASSIVE.lame(0.3)[0], rtol=1e-12)

    c.x.array[:] = 0.5  # the field changes: refresh re-reads it
    fields.refresh()
    assert np.allclose(fields.xi.x.array[cells], 0.5) and np.allclose(fields.g.x.array[cells], np.cbrt(1.526))
