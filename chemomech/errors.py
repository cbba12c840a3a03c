"""Exceptions that the command line turns into exit codes.

``CaseError`` (exit 2): the case file is invalid; raised identically on every
MPI rank, before anything is computed. ``SolverFailure`` (exit 1): the
simulation could not go on (Newton failed after all cut-backs, a singular
system); it must be raised collectively, on every rank.
"""

from chemomech.case.errors import CaseError, Problem


class SolverFailure(RuntimeError):
    """The solver gave up cleanly; the message says where and why."""


__all__ = ["CaseError", "Problem", "SolverFailure"]
