"""solver.low_memory: one point-wise (AIJ) Jacobian that GAMG builds from directly, instead of the
block Jacobian and its point-wise copy; the same Newton and Krylov path, on 1 and 2 ranks."""

import numpy as np
import pytest
from test_amg_threshold import _ksp_view_after_two_solves
from test_case_schema import INCLUSION
from test_dirichlet_rows import stretched_cube

from chemomech.case import CaseError, load_case_text
from chemomech.case.schema import Solver
from chemomech.dolfinx_compat import MPI
from chemomech.solve.newton import NewtonSolver


def test_off_by_default_and_refused_with_mumps():
    assert load_case_text(INCLUSION).solver.low_memory is False
    assert load_case_text(INCLUSION, overrides=["solver.low_memory=true"]).solver.low_memory is True
    with pytest.raises(CaseError, match="low_memory") as error:
        load_case_text(INCLUSION + "solver: {linear_solver: mumps, low_memory: true}\n")
    assert "only with linear_solver gamg" in str(error.value)


def _solved(low_memory: bool):
    """(solution, Newton steps, Krylov iterations), (Jacobian type, type of GAMG's copy or None)."""
    residual, u, bcs = stretched_cube()
    solver = NewtonSolver(residual, u, bcs, Solver(low_memory=low_memory), prefix="test_low_memory_", force_scale=1.0)
    stats = solver.solve()
    assert stats.converged
    result = (u.x.array.copy(), stats.newton_iterations, stats.krylov_iterations)
    copy = solver._amg_matrix
    kinds = (solver.problem.A.getType(), None if copy is None else copy.getType())
    solver.close()
    return result, kinds


def test_one_point_wise_matrix_and_the_same_solve():
    (u_block, newton_block, krylov_block), (block_type, copy) = _solved(low_memory=False)
    (u_lean, newton_lean, krylov_lean), (lean_type, no_copy) = _solved(low_memory=True)
    assert block_type in ("seqsbaij", "mpisbaij") and copy in ("seqaij", "mpiaij")
    assert lean_type in ("seqaij", "mpiaij") and no_copy is None
    # GAMG is built from the same values either way: the same hierarchy and iterations; CG's
    # products differ by rounding only, and Newton converges to 1e-9 of the first residual.
    assert newton_lean == newton_block
    assert abs(krylov_lean - krylov_block) <= 1
    scale = MPI.COMM_WORLD.allreduce(np.abs(u_block).max(), op=MPI.MAX)
    difference = MPI.COMM_WORLD.allreduce(np.abs(u_lean - u_block).max(initial=0.0), op=MPI.MAX)
    assert difference <= 1e-8 * scale


def test_gamg_sees_the_rigid_body_modes_of_the_point_wise_matrix(tmp_path):
    """The six near-nullspace vectors reach GAMG (its coarse operators have 6 × 6 blocks, one
    per aggregate; without them it would take 3 translations), and no block matrix is left."""
    text = _ksp_view_after_two_solves(tmp_path, Solver(low_memory=True))
    coarse = [line for line in text.splitlines() if "bs=" in line and "rows=" in line]
    assert coarse and any(line.strip().endswith("bs=6") for line in coarse)
    assert "baij" not in text
