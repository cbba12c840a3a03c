"""The per-cell data a Domain shares with every module: one DG0 space, one sorted cell list per
region and its owned part as a view (each array over the cells costs 0.008 kB per displacement
dof at 1M dofs), on 1 and 2 ranks."""

import numpy as np
import pytest
from test_material_fields import ACTIVE, PASSIVE
from test_verification_diffusion import two_region_domain

from chemomech.physics.material_fields import MaterialFields


@pytest.fixture(scope="module")
def domain():
    return two_region_domain(4)


def test_region_cells_are_the_tagged_cells_sorted_and_read_only(domain):
    for name, tag in domain.regions.items():
        cells = domain.region_cells[name]
        np.testing.assert_array_equal(cells, np.sort(domain.cell_tags.find(tag)))
        assert np.all(np.diff(cells) > 0)
        with pytest.raises(ValueError):
            cells[:1] = 0
    assert domain.region_cells is domain.region_cells  # made once


def test_owned_region_cells_are_views_of_the_owned_start(domain):
    owned = domain.mesh.topology.index_map(domain.mesh.topology.dim).size_local
    ghosts = 0
    for name, cells in domain.region_cells.items():
        mine = domain.owned_region_cells[name]
        np.testing.assert_array_equal(mine, cells[cells < owned])
        assert np.shares_memory(mine, cells)
        ghosts += cells.size - mine.size
    total_ghosts = domain.mesh.topology.index_map(domain.mesh.topology.dim).num_ghosts
    assert ghosts == total_ghosts  # every ghost cell is in one region, and left out


def test_one_dg0_space_for_the_material_fields(domain):
    fields = MaterialFields(domain, {"particle": ACTIVE, "electrolyte": PASSIVE}, xi_initial=0.0)
    assert domain.cell_space is domain.cell_space
    np.testing.assert_array_equal(domain.cell_dofs, domain.cell_space.dofmap.list[:, 0])
    assert np.shares_memory(domain.cell_dofs, domain.cell_space.dofmap.list)
    for function in (fields.mu, fields.lmbda, fields.g, fields.xi, fields.active_fraction):
        assert function.function_space is domain.cell_space
    assert fields.region_cells is domain.region_cells
    # Without a counter electrode no cell grows along the stack axis: no field for it.
    assert fields.axial_growth is None
    growth = fields.growth_tensor(axial=2)
    assert growth[2, 2] == growth[0, 0] == fields.g
