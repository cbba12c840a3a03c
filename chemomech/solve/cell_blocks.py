"""A form split into blocks of cells, so that an assembly packs one block's coefficients at a time.

Before it assembles, dolfinx packs every coefficient of a form on every cell
of its integrals: for the finite-strain residual of P1 tetrahedra, 12
displacement values and the material fields, 16 doubles per cell, about
0.25 kB per displacement dof on top of everything that lives through the run
(the peak of a 1M-dof run). The sum over blocks of cells

    R = Σ_k R_k,   R_k = ∫_{Ω_k} …,   Ω = ⋃_k Ω_k (disjoint),

assembles to the same vector and matrix, and packs CHUNK cells at a time.
Blocks of 65536 cells assemble faster than blocks of 8192 (the cell
chunks of the per-step outputs): each block's matrix ends in a flush, and
the Newton steps of the 200k-dof inclusion on 2 ranks took 2 to 5 % longer.

Each block is a dolfinx Form made from the same compiled form (no further
JIT), with the integration entities of each integral restricted to the
block's cells. dolfinx takes every cell for an integral without a subdomain
id whatever list it is given, so only forms whose integrals all have ids
(``dx(tags)``, ``ds(tags)``) are split; other forms stay whole. Facet
integrals go with the first block.
"""

import numpy as np

from chemomech.dolfinx_compat import MPI, PETSc, dolfinx

CHUNK = 1 << 16

_SPLIT_TYPES = ("cell", "exterior_facet")


def integral_ids(form) -> dict:
    """{IntegralType: [subdomain id of each of its integrals, in dolfinx's order]}."""
    ufcx = form.ufcx_form
    offsets = [ufcx.form_integral_offsets[i] for i in range(len(dolfinx.fem.IntegralType) + 1)]
    return {
        kind: [ufcx.form_integral_ids[j] for j in range(offsets[kind.value], offsets[kind.value + 1])]
        for kind in dolfinx.fem.IntegralType
        if offsets[kind.value + 1] > offsets[kind.value]
    }


def cell_blocks(form, size: int | None = None) -> list:
    """The form as a list of forms over consecutive blocks of ``size`` (default CHUNK) local cells.

    The form stays whole (``[form]``) when no rank has more than ``size``
    local cells, when an integral has no subdomain id, or when it has
    integrals other than over cells and exterior facets. Collective: every
    rank gets as many blocks.
    """
    if form.module is None:  # not compiled here (a form without integrals)
        return [form]
    size = size or CHUNK
    ids = integral_ids(form)
    cells = form.mesh.topology.index_map(form.mesh.topology.dim)
    # The matrix assembly of each block ends in a collective flush.
    count = form.mesh.comm.allreduce(cells.size_local + cells.num_ghosts, op=MPI.MAX)
    if (
        count <= size
        or any(kind.name not in _SPLIT_TYPES for kind in ids)
        or any(-1 in values for values in ids.values())
    ):
        return [form]
    cpp = form._cpp_object
    entities = {kind: [cpp.domains(kind, i) for i in range(len(values))] for kind, values in ids.items()}
    pointer = form.module.ffi.cast("uintptr_t", form.module.ffi.addressof(form.ufcx_form))
    blocks = []
    for start in range(0, count, size):
        subdomains = {
            kind: [(int(i), _in_block(kind, e, start, size)) for i, e in zip(values, entities[kind], strict=True)]
            for kind, values in ids.items()
        }
        block = type(cpp)([pointer], cpp.function_spaces, cpp.coefficients, cpp.constants, subdomains, [], cpp.mesh)
        blocks.append(dolfinx.fem.Form(block, form.ufcx_form, form.code, form.module))
    return blocks


def _in_block(kind, entities: np.ndarray, start: int, size: int) -> np.ndarray:
    """The integration entities of the block of cells [start, start + size), flat int32.

    Cells by their index; facet entities ((cell, local facet) pairs) all in
    the first block.
    """
    if kind == dolfinx.fem.IntegralType.cell:
        chosen = entities[(entities >= start) & (entities < start + size)]
    else:
        chosen = entities if start == 0 else entities[:0]
    return np.ascontiguousarray(chosen, dtype=np.int32).reshape(-1)


def assemble_scalar(blocks) -> float:
    """This rank's part of the form's value: the sum of its blocks' (not reduced over ranks)."""
    return sum(dolfinx.fem.assemble_scalar(block) for block in blocks)


def assemble_vector(b, blocks) -> None:
    """Add the blocks' vectors to b's local form (no ghost update, as dolfinx.fem.petsc.assemble_vector)."""
    for block in blocks:
        dolfinx.fem.petsc.assemble_vector(b, block)


def apply_lifting(b, blocks, bcs, x0, alpha: float) -> None:
    """b ← b − α Σ_k A_k (g − x0): dolfinx's lifting of the Dirichlet values g, by the form's blocks."""
    for block in blocks:
        dolfinx.fem.petsc.apply_lifting(b, [block], bcs=[bcs], x0=[x0], alpha=alpha)


def assemble_matrix(A, blocks, bcs) -> None:
    """A = the sum of the blocks' matrices, with Dirichlet rows and columns zero and 1 on their diagonal (collective).

    Each block's assembly sets the Dirichlet diagonal (INSERT: the same 1
    each time); the flush after it lets the next block add again.
    """
    A.zeroEntries()
    for block in blocks:
        dolfinx.fem.petsc.assemble_matrix(A, block, bcs, diag=1.0)
        A.assemble(PETSc.Mat.AssemblyType.FLUSH)
    A.assemble()
