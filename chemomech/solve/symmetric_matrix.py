"""The upper triangle of a symmetric Jacobian, in d × d blocks (PETSc SBAIJ).

A symmetric tangent K = Kᵀ (hyperelastic, small-strain elastic) needs only
its blocks K_IJ with J ≥ I in the global numbering: a block row I of a P1
tetrahedral mesh couples to about 15 nodes, of which about 8 are kept, so
the matrix stores 53 % of the entries of the block (BAIJ) matrix
(4.78M of 8.95M at 206k dofs). PETSc's symmetric product y = K x reads each
stored block once for y_I += K_IJ x_J and y_J += K_IJᵀ x_I.

dolfinx's own matrix of kind "sbaij" is not usable here (it preallocated
620k and stored 28k of the 8.95M entries), so the matrix is preallocated
from the form's finalized sparsity pattern: per owned block row I the block
columns J ≥ I owned by this rank (the diagonal part) and by higher ranks
(the off-diagonal part), with the column numbering of the pattern itself,
which holds the ghost columns that other ranks' cells add. The element
matrices go in whole; PETSc drops their lower blocks
(MAT_IGNORE_LOWER_TRIANGULAR).

The matrix is of the parallel type (MPISBAIJ) on one process too: PETSc
3.25.5 converts it into an existing AIJ matrix (MatConvert,
MAT_REUSE_MATRIX: row by row, each row's blocks and their transposes),
which is how GAMG's point-wise matrix is filled (chemomech.solve.newton),
whereas its conversion of a sequential SBAIJ matrix gives wrong values for
3 × 3 blocks. On one process the parallel type costs 10 % more assembly
time and 4 % more per product than the sequential one (the 200k-dof
inclusion benchmark).
"""

import numpy as np

from chemomech.dolfinx_compat import PETSc, dolfinx


def upper_block_counts(form) -> tuple[np.ndarray, np.ndarray]:
    """Per owned block row: block columns J ≥ I owned here, and owned by other (higher) ranks."""
    pattern = dolfinx.cpp.fem.create_sparsity_pattern(form._cpp_object)
    pattern.finalize()
    rows, columns_map = pattern.index_map(0), pattern.index_map(1)
    columns, offsets = pattern.graph
    owned = rows.size_local
    row = np.repeat(np.arange(owned, dtype=np.int64), np.diff(offsets[: owned + 1]))
    column = columns_map.local_to_global(np.asarray(columns[: offsets[owned]], dtype=np.int32))
    first, end = columns_map.local_range
    upper = column >= first + row
    diagonal = upper & (column < end)
    return (
        np.bincount(row[diagonal], minlength=owned).astype(PETSc.IntType),
        np.bincount(row[upper & ~diagonal], minlength=owned).astype(PETSc.IntType),
    )


def create_symmetric_matrix(form) -> PETSc.Mat:
    """An MPISBAIJ matrix for the bilinear form (one space for test and trial), lower blocks ignored."""
    space = form.function_spaces[0]
    index_map, bs = space.dofmap.index_map, space.dofmap.index_map_bs
    comm = space.mesh.comm
    diagonal, off_diagonal = upper_block_counts(form)
    local, size = index_map.size_local * bs, index_map.size_global * bs
    matrix = PETSc.Mat().create(comm)
    matrix.setSizes(((local, size), (local, size)), bsize=bs)
    matrix.setType(PETSc.Mat.Type.MPISBAIJ)
    matrix.setPreallocationNNZ((diagonal, off_diagonal))
    blocks = index_map.local_to_global(np.arange(index_map.size_local + index_map.num_ghosts, dtype=np.int32))
    lgmap = PETSc.LGMap().create(blocks.astype(PETSc.IntType), bsize=bs, comm=comm)
    matrix.setLGMap(lgmap, lgmap)
    lgmap.destroy()
    matrix.setOption(PETSc.Mat.Option.IGNORE_LOWER_TRIANGULAR, True)
    matrix.setOption(PETSc.Mat.Option.NEW_NONZERO_ALLOCATION_ERR, True)
    return matrix
