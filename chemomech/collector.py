"""The process's cyclic garbage collector, kept off the objects of the start-up.

A chemomech process imports DOLFINx, UFL, PETSc, pint and pydantic: about
120,000 objects that live as long as the process. CPython's cyclic
collector traverses every one of them at each full pass and again at exit.
``gc.freeze()`` moves the objects alive at that moment to the permanent
generation, which no collection visits. The ``chemomech`` command
(chemomech.cli) freezes them during a run and at exit.
"""

import atexit
import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def start_up_frozen() -> Iterator[None]:
    """``gc.freeze()`` for the block, ``gc.unfreeze()`` after it.

    Unfrozen afterwards, so a process that runs several cases (the
    in-process tests, a notebook) keeps none of its garbage frozen.
    Measured with ``chemomech run`` on 2 ranks, interleaved with and
    without: the 50k-dof inclusion pre-meshed 5.69–5.83 s against
    5.71–5.97 s (medians 5.77 and 5.93 s), the default case 5.62–5.95 s
    against 5.78–5.96 s.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def skip_exit_collection() -> None:
    """Make ``gc.freeze()`` an exit handler, once per process however often this is called.

    At exit the modules are torn down and the collector would run over
    every object left, the start-up's and the solver's: 0.2 s of every run
    (50k dofs on 2 ranks: 6.0 s, and 5.8 s with this). Frozen, their memory
    goes back to the operating system with the process. No output depends
    on that collection: every file is closed and every solver destroyed
    before ``run_case`` returns (the in-process CLI tests read them with no
    exit in between).
    """
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
