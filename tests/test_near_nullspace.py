"""The rigid-body modes (GAMG's near nullspace) are given back after GAMG's first set-up: later
set-ups, with or without reuse of the interpolation, solve as if they had been kept; 1 and 2 ranks."""

import numpy as np
import pytest
from test_dirichlet_rows import stretched_cube

from chemomech.case.schema import Solver
from chemomech.dolfinx_compat import MPI, PETSc
from chemomech.solve.newton import NewtonSolver

PREFIX = "test_near_nullspace_"


def _three_load_steps(low_memory: bool, reuse: bool):
    """(Newton, Krylov) per step and the last solution of a cube pulled to 1, 2, 3 × the stretch,
    each step from the last; whether the modes were still held after the first."""
    residual, u, bcs = stretched_cube()
    solver = NewtonSolver(residual, u, bcs, Solver(low_memory=low_memory), prefix=PREFIX, force_scale=1.0)
    if not reuse:  # GAMG aggregates anew at every set-up
        options = PETSc.Options(PREFIX)
        options["pc_gamg_reuse_interpolation"] = False
        solver.problem.solver.getKSP().getPC().setFromOptions()
        options.delValue("pc_gamg_reuse_interpolation")
    pull = bcs[1].g.x.array
    first = pull.copy()
    counts, held = [], []
    for step in (1, 2, 3):
        pull[:] = step * first
        stats = solver.solve()
        assert stats.converged
        counts.append((stats.newton_iterations, stats.krylov_iterations))
        held.append(solver._amg_operator().getNearNullSpace().handle != 0)
    solver.close()
    return counts, u.x.array.copy(), held


@pytest.mark.parametrize("reuse", [True, False], ids=["reused_interpolation", "new_aggregation"])
@pytest.mark.parametrize("low_memory", [False, True], ids=["block_jacobian", "low_memory"])
def test_later_set_ups_solve_as_with_the_modes_kept(low_memory, reuse, monkeypatch):
    counts, u, held = _three_load_steps(low_memory, reuse)
    assert held == [False, False, False]
    assert sum(krylov for _, krylov in counts) > 3 * len(counts)  # GAMG was set up and worked
    monkeypatch.setattr(NewtonSolver, "_release_near_nullspace", lambda self: None)
    counts_kept, u_kept, held_kept = _three_load_steps(low_memory, reuse)
    assert held_kept == [True, True, True]
    assert counts == counts_kept
    scale = MPI.COMM_WORLD.allreduce(np.abs(u_kept).max(), op=MPI.MAX)
    assert MPI.COMM_WORLD.allreduce(np.abs(u - u_kept).max(initial=0.0), op=MPI.MAX) <= 1e-12 * scale
