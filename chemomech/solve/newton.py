"""Newton's method through PETSc SNES, with CG + GAMG or MUMPS inside.

GAMG is given the rigid-body modes of the model as its near-nullspace
(translations, and rotations about the axes the model can rotate about) for
its first set-up, and keeps its interpolation across Newton and load steps;
the modes are given back after that set-up (48 bytes per dof in 3D).

With GAMG the Jacobian is a block matrix (one d × d block per pair of
nodes): element matrices go in block by block and CG's products run on
blocks, about half the assembly time and two thirds of the CG time of the
point-wise (AIJ) matrix on the inclusion benchmark. A symmetric tangent
(no history hooks: the Hessian of a stored energy with dead loads and a
linear spring) keeps only its upper blocks (SBAIJ, chemomech.solve.
symmetric_matrix), 53 % of the entries; a return mapping's tangent keeps
them all (BAIJ). GAMG builds its graph only from AIJ: when SNES rebuilds
the preconditioner, a symmetric Jacobian is assembled into CG's matrix and
converted into GAMG's (PETSc's conversion from MPISBAIJ, the type of CG's
matrix on one process too: 0.33 s at 200k dofs on 2 ranks, against 0.54 s
for assembling GAMG's matrix and copying it into CG's), a BAIJ one
assembled and copied into GAMG's (0.10 s); otherwise it goes into CG's
alone.
``solver.low_memory`` assembles the AIJ matrix alone, for GAMG and CG both:
the block matrix's 0.2–0.4 kB per displacement dof less, 1.3–1.5 times the
time per Newton step (the inclusion benchmark).

Several unknowns (the mixed u–p formulation) are solved as one blocked
system, assembled into a single MPI matrix (``kind="mpi"``) for MUMPS; the
case schema refuses GAMG there (a saddle point is not positive definite).

History states (quadrature-point inelasticity) hook into SNES: before every
residual evaluation at an iterate x, ``before_residual()`` runs their return
mapping at u = x, and before every Jacobian ``before_jacobian()`` their
consistent tangent.

Newton updates of a single unknown land exactly on the Dirichlet values,
and the residual then skips dolfinx's lifting (chemomech.solve.dirichlet_rows).

A single unknown's residual and Jacobian assemble block by block of cells
where their integrals name their regions (chemomech.solve.cell_blocks): the
coefficients dolfinx packs for an assembly are one block's, not the mesh's.

GAMG's coarse operators are made during solves with PETSc's ``mat_no_inode``
in the database (COARSE_LEVEL_OPTIONS).
"""

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from chemomech.dolfinx_compat import PETSc, dolfinx
from chemomech.solve import cell_blocks
from chemomech.solve.dirichlet_rows import DirichletRows
from chemomech.solve.release import destroy_problem
from chemomech.solve.symmetric_matrix import create_symmetric_matrix


@dataclass(frozen=True)
class SolveStats:
    """Outcome of one nonlinear solve."""

    converged: bool
    reason: int
    newton_iterations: int
    krylov_iterations: int
    residual_norms: tuple[float, ...]  # ‖R‖ at each Newton iterate
    coupling_passes: int = 0  # passes of a step with coupled fields (chemomech.solve.coupling)
    failed_field: str | None = None  # a coupled field whose solve failed, or "coupling"


def petsc_options(settings, force_scale: float, *, symmetric: bool = True) -> dict:
    """SNES/KSP/PC options for the case's solver settings.

    Converged when ‖R‖ ≤ rtol ‖R₀‖ or ‖R‖ ≤ atol · force_scale, with
    force_scale the residual norm of a stress of the order of the stiffest
    material's modulus (see MechanicsModel.force_scale).

    A consistent tangent of a return mapping (``symmetric=False``) is not
    symmetric: the flow follows the Cauchy deviator, whose e-derivative is
    not a Hessian. It is small beside the elastic stiffness until creep or
    plastic flow removes nearly all of the deviatoric stiffness, and then CG
    breaks down. BiCGStab takes it with a handful of work vectors (restarted
    GMRES needs a long restart there: measured 480 iterations with 100
    vectors against 420 for BiCGStab on a creeping Li anode). Such a tangent
    also changes between Newton steps (elastic → flowing), so the AMG
    hierarchy is rebuilt at each one.
    """
    options = {
        "snes_type": "newtonls",
        "snes_linesearch_type": "bt",
        "snes_rtol": settings.newton_rtol,
        "snes_atol": settings.newton_atol * force_scale,
        "snes_stol": 0.0,
        "snes_max_it": settings.max_newton_iterations,
    }
    if settings.linear_solver == "mumps":
        options |= {"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
    else:
        options |= {
            # Rebuild the AMG hierarchy once per load step, not per Newton step.
            "snes_lag_preconditioner": settings.max_newton_iterations if symmetric else 1,
            "ksp_type": "cg" if symmetric else "bcgs",
            # 1e-6 reaches the Newton tolerance in as many steps with 26 % fewer
            # CG iterations (benchmarks/ inclusion), but leaves zero columns
            # (a symmetric FBG strain) at 1e-12 instead of 1e-14 and the 1- and
            # 2-rank runs apart by that: kept tight.
            "ksp_rtol": 1.0e-8,
            "ksp_max_it": 1000,
            "pc_type": "gamg",
            "pc_gamg_reuse_interpolation": True,
            "pc_gamg_threshold": -1.0 if settings.amg_threshold is None else settings.amg_threshold,
            "mg_levels_ksp_type": "chebyshev",
            "mg_levels_pc_type": "jacobi",
            # GAMG re-estimates each level's largest eigenvalue of D⁻¹A for
            # Chebyshev at every set-up. Its default estimator, GMRES, keeps
            # its Krylov basis afterwards (about 0.15 kB per dof from the
            # second set-up on); D⁻¹A of an SPD tangent is similar to an SPD
            # matrix, for which CG gives the same estimate (2.4955 against
            # 2.4958 on the 200k-dof inclusion, the same CG iterations) with
            # a few vectors.
            "mg_levels_esteig_ksp_type": "cg" if symmetric else "gmres",
        }
    return options


COARSE_LEVEL_OPTIONS = {"mat_no_inode": True}
"""Global PETSc options while GAMG solves, that is while it makes its coarse operators.

The rows of a coarse operator come in groups of six with one sparsity pattern
(the rigid-body modes of an aggregate, three in 2D). PETSc's "inode" products
treat such groups together, at most five rows at a time; on these matrices
the plain row-by-row product is faster: 7–16 % less time in MatMult and 6–15 %
in CG, 3.5 % per Newton step on average (the inclusion at 200k dofs, 1 rank,
five interleaved pairs of runs, both Jacobian modes; benchmarks/README.md).
The matrices made before the solve (the Jacobian, GAMG's copy of it) keep
PETSc's default: the point-wise Jacobian of ``solver.low_memory`` assembled
slower without it.
"""


def rigid_body_modes(space) -> tuple[PETSc.NullSpace, list]:
    """Orthonormal near-nullspace: translations and in-plane/3D rotations.

    Returns the nullspace and the dolfinx vectors whose storage it borrows
    (keep them alive as long as the nullspace). The PETSc vectors wrapping
    them are released here, the nullspace holding its own references: a
    PETSc vector left to the garbage collector keeps the communicators PETSc
    made for it (about two per vector, 15 for the six modes), and MPICH has
    2048 per process.
    """
    coords = space.tabulate_dof_coordinates()[:, : space.mesh.geometry.dim]
    gdim = space.mesh.geometry.dim
    nodes = coords.shape[0]
    modes = []
    for i in range(gdim):
        mode = np.zeros((nodes, gdim))
        mode[:, i] = 1.0
        modes.append(mode)
    rotations = [(0, 1)] if gdim == 2 else [(0, 1), (1, 2), (2, 0)]
    for a, b in rotations:
        mode = np.zeros((nodes, gdim))
        mode[:, a] = -coords[:, b]
        mode[:, b] = coords[:, a]
        modes.append(mode)
    vectors = []
    for mode in modes:
        vector = dolfinx.la.vector(space.dofmap.index_map, space.dofmap.index_map_bs)
        vector.array[:] = mode.ravel()
        vectors.append(vector)
    dolfinx.la.orthonormalize(vectors)
    petsc_vectors = [dolfinx.la.petsc.create_vector_wrap(v) for v in vectors]
    nullspace = PETSc.NullSpace().create(vectors=petsc_vectors, comm=space.mesh.comm)
    for vector in petsc_vectors:
        vector.destroy()
    return nullspace, vectors


def forget_options(prefix: str | None, options: dict) -> None:
    """Remove the options of a solver (``prefix``; None: unprefixed) from PETSc's global options database.

    NonlinearProblem deletes them under a pushed prefix, which petsc4py
    ignores: they would stay, and a later solver with the same prefix (the
    next run in one process) would inherit those it does not set itself —
    a lagged preconditioner under LU makes Newton linear.
    """
    database = PETSc.Options(prefix)
    for name in options:
        database.delValue(name)


@contextmanager
def in_database(prefix: str | None, options: dict):
    """The options in PETSc's global database for the duration; those already there (a user's) are left alone."""
    database = PETSc.Options(prefix)
    added = {name: value for name, value in options.items() if not database.hasName(name)}
    for name, value in added.items():
        database.setValue(name, value)
    try:
        yield
    finally:
        forget_options(prefix, added)


class NewtonSolver:
    """One SNES for one residual, set of Dirichlet conditions and solution.

    ``residual`` and ``u`` are a form and its Function, or lists of forms
    and Functions (one block each; a list of one is a single block).
    """

    def __init__(self, residual, u, bcs, settings, *, prefix: str, force_scale: float, hooks=()):
        # The multigrid level options stay unread when a step needs no linear
        # solve; PETSc would list them as "unused" at exit.
        PETSc.Options().setValue("options_left", "0")
        if isinstance(residual, list | tuple) and len(residual) == 1:
            residual, u = residual[0], u[0]
        blocked = isinstance(residual, list | tuple)
        if blocked and settings.linear_solver != "mumps":
            raise ValueError("a blocked (mixed) system needs linear_solver mumps")
        if blocked and hooks:
            raise ValueError("history states (compaction, creep) need the displacement formulation")
        options = petsc_options(settings, force_scale, symmetric=not hooks)
        gamg = settings.linear_solver == "gamg"
        block_jacobian = gamg and not settings.low_memory
        self.problem = dolfinx.fem.petsc.NonlinearProblem(
            residual,
            u,
            bcs=bcs,
            kind="mpi" if blocked else "baij" if block_jacobian else None,
            petsc_options_prefix=prefix,
            petsc_options=options,
        )
        forget_options(prefix, options)
        self._upper_only = block_jacobian and not hooks
        if self._upper_only:  # symmetric: the upper triangle only (chemomech.solve.symmetric_matrix)
            self.problem._A.destroy()
            self.problem._A = create_symmetric_matrix(self.problem.J)
        # The multigrid levels read theirs at every set-up (the eigenvalue
        # estimators are made at the second): they are in the database
        # during solves only.
        self._prefix = prefix
        self._setup_options = {name: value for name, value in options.items() if name.startswith("mg_levels_")}
        self._global_options = COARSE_LEVEL_OPTIONS if gamg else {}
        self._amg_matrix = None
        self._nullspace_storage = []
        if gamg:
            nullspace, self._nullspace_storage = rigid_body_modes(u.function_space)
            if block_jacobian:
                self._amg_matrix = dolfinx.fem.petsc.create_matrix(self.problem.J)
                self._rebuild_every = options["snes_lag_preconditioner"]
            self._amg_operator().setNearNullSpace(nullspace)
            nullspace.destroy()  # the matrix holds it (see rigid_body_modes)
        # The monitor holds the list, not self: SNES → monitor → self → SNES
        # would be a cycle the garbage collector cannot see through petsc4py,
        # and every solver (with its matrix, MUMPS factors and their MPI
        # communicators) would live to the end of the process.
        self._norms: list[float] = []
        norms = self._norms
        self.problem.solver.setMonitor(lambda snes, iteration, norm: norms.append(norm))
        self._hooks, self._bcs = tuple(hooks), bcs
        if not blocked:
            self._residual_blocks = cell_blocks.cell_blocks(self.problem.F)
            self._jacobian_blocks = cell_blocks.cell_blocks(self.problem.J)
            self._install_callbacks(list(hooks), bcs)

    def _install_callbacks(self, hooks: list, bcs) -> None:
        """SNES callbacks: the hooks at each iterate, updates projected onto g, lifting only where x_D ≠ g.

        The callbacks hold the forms and the Function, never the problem or
        self (that would be a cycle through SNES the garbage collector cannot
        break, see above).
        """
        problem = self.problem
        u = problem.u
        F_blocks, J_blocks = self._residual_blocks, self._jacobian_blocks
        petsc = dolfinx.fem.petsc
        rows = DirichletRows(bcs, u)

        def at_iterate(x):
            x.ghostUpdate(addv=PETSc.InsertMode.INSERT, mode=PETSc.ScatterMode.FORWARD)
            petsc.assign(x, u)

        def residual(snes, x, b):
            at_iterate(x)
            for hook in hooks:
                hook.before_residual()
            with b.localForm() as local:
                local.set(0.0)
            cell_blocks.assemble_vector(b, F_blocks)
            if not rows.hold(x):
                cell_blocks.apply_lifting(b, J_blocks, bcs, x0=x, alpha=-1.0)
            b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
            petsc.set_bc(b, bcs, x0=x, alpha=-1.0)

        amg, upper_only = self._amg_matrix, self._upper_only
        rebuild_every = self._rebuild_every if amg is not None else 1

        def jacobian(snes, x, A, P_mat):
            at_iterate(x)
            for hook in hooks:
                hook.before_jacobian()
            if amg is None or snes.getIterationNumber() % rebuild_every:  # GAMG is not rebuilt now
                cell_blocks.assemble_matrix(A, J_blocks, bcs)
            elif upper_only:  # the upper blocks, then GAMG's matrix by PETSc's conversion (both triangles)
                cell_blocks.assemble_matrix(A, J_blocks, bcs)
                A.convert(amg.getType(), amg)
            else:  # BAIJ assembles faster than AIJ (0.62 against 0.96 s at 206k dofs)
                cell_blocks.assemble_matrix(A, J_blocks, bcs)
                A.copy(amg, structure=PETSc.Mat.Structure.SAME_NONZERO_PATTERN)

        problem.solver.setFunction(residual, problem.b)
        problem.solver.setJacobian(jacobian, problem.A, amg if amg is not None else problem.P_mat)
        problem.solver.getKSP().setPostSolve(lambda ksp, rhs, update: rows.project(rhs, update))

    def _amg_operator(self) -> PETSc.Mat:
        """The matrix GAMG builds its hierarchy from: the point-wise copy, or the point-wise Jacobian."""
        return self._amg_matrix if self._amg_matrix is not None else self.problem.A

    def _release_near_nullspace(self) -> None:
        """Give back the rigid-body modes once GAMG has made its hierarchy (6 vectors, 48 bytes per dof in 3D).

        GAMG reads them at its first set-up only: later set-ups keep the
        prolongators (``pc_gamg_reuse_interpolation``) and redo the Galerkin
        products, and without reuse GAMG re-aggregates from its own copy of
        the first set-up's modes.
        """
        self._amg_operator().setNearNullSpace(PETSc.NullSpace())
        self._nullspace_storage = []

    def close(self) -> None:
        """Destroy the SNES, its matrices and vectors now (collective; see chemomech.solve.release)."""
        destroy_problem(self.problem)
        if self._amg_matrix is not None:
            self._amg_matrix.destroy()

    def residual_norm(self) -> float:
        """‖R(u)‖ at the current u: the residual with the Dirichlet rows g − u (hooks run first).

        Without the lifting −J(g − u) that SNES adds for its linear systems
        (two thirds of a residual's cost: dolfinx packs the Jacobian's
        coefficients on every cell for it); ‖R‖ compares predictors.
        """
        problem, petsc = self.problem, dolfinx.fem.petsc
        if isinstance(problem.F, list | tuple):  # blocked (mixed): as SNES measures it
            petsc.assign(problem.u, problem.x)
            problem.solver.computeFunction(problem.x, problem.b)
            return problem.b.norm()
        for hook in self._hooks:
            hook.before_residual()
        b = problem.b
        with b.localForm() as local:
            local.set(0.0)
        cell_blocks.assemble_vector(b, self._residual_blocks)
        b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        petsc.assign(problem.u, problem.x)
        petsc.set_bc(b, self._bcs, x0=problem.x, alpha=-1.0)
        return b.norm()

    def solve(self) -> SolveStats:
        """Run Newton from the current u; u holds the last iterate on failure."""
        snes = self.problem.solver
        self._norms.clear()
        with in_database(self._prefix, self._setup_options), in_database(None, self._global_options):
            self.problem.solve()
        if self._nullspace_storage and snes.getIterationNumber() > 0:
            self._release_near_nullspace()
        reason = snes.getConvergedReason()
        return SolveStats(
            converged=reason > 0,
            reason=reason,
            newton_iterations=snes.getIterationNumber(),
            krylov_iterations=snes.getLinearSolveIterations(),
            residual_norms=tuple(self._norms),
        )
