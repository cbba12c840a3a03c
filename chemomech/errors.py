"""Exceptions that the command line turns into exit codes.

``CaseError`` (exit 2): the case file is invalid; raised identically on every
MPI rank, before anything is computed. ``SolverFailure`` (exit 1): the
simulation could not go on (Newton failed after all cut-backs, a singular
system); it must be raised collectively, on every rank. ``GeometryError``
(exit 2): the geometry cannot be built or meshed; raised on every rank
before anything is written. ``SweepError`` (exit 2): a parameter sweep that
cannot start (a malformed ``--param``, a variant case that does not validate);
raised before any run. ``RestartError`` (exit 2): no checkpoint to restart
from, or one of another case or mesh; raised on every rank before anything
is written. ``PremeshedError`` (exit 2, a ``GeometryError``): a pre-meshed
domain directory that is missing, incomplete or meshed from another
geometry; raised on every rank before anything is written.
"""

from chemomech.case.errors import CaseError, Problem


class SolverFailure(RuntimeError):
    """The solver gave up cleanly; the message says where and why."""


class GeometryError(Exception):
    """The geometry cannot be built or meshed; raised on every MPI rank."""


class PremeshedError(GeometryError):
    """A pre-meshed domain directory cannot be used; the message names it and says why."""


class SweepError(Exception):
    """A sweep that cannot start; the message says which parameter or run and why."""


class RestartError(Exception):
    """A run cannot restart from the given output directory; raised on every MPI rank."""


__all__ = ["CaseError", "GeometryError", "PremeshedError", "Problem", "RestartError", "SolverFailure", "SweepError"]
