"""Collective destruction of the PETSc solvers of a run.

Destroying a parallel solver is collective: MUMPS frees its communicator,
PETSc's finalisation cleans up parallel objects on every rank together. A
dolfinx Linear/NonlinearProblem destroys its SNES/KSP, matrix and vectors
in ``__del__``, that is whenever its last Python reference goes, and that
moment differs between ranks when one keeps a reference longer (rank 0
draws the figures and writes the report): one rank then waits in the
destruction of MUMPS factors while another waits in PETSc's finalisation,
and the job hangs at exit. Runs therefore destroy their solvers explicitly,
in the same order on every rank, before the final barrier; the problem's
own ``__del__`` later finds its objects destroyed and does nothing.
"""


def destroy_problem(problem) -> None:
    """Destroy the PETSc objects of a dolfinx Linear/NonlinearProblem now (collective)."""
    if problem is not None:
        problem.__del__()
