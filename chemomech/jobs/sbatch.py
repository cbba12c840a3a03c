"""Pieces every chemomech SLURM script has: the ``#SBATCH`` header, the MPI launcher and a private form-compiler cache.

The form compiler (FFCx, called by DOLFINx) caches compiled forms under
``$XDG_CACHE_HOME/fenics``. A job gets a cache of its own: jobs compiling at
once then do not contend for one directory on a shared file system, and a
compile killed with its job cannot leave a claim that stalls later jobs (see
chemomech.form_cache). MPICH (the PyPI wheel, also in the container image)
reads its rank and size from SLURM's PMI-2 server, which ``srun`` starts with
``--mpi=pmi2`` (a SLURM whose default plugin is ``none`` would otherwise
start N independent one-rank runs).
"""

from __future__ import annotations

import re

SRUN = "srun --mpi=pmi2"


def job_name(text: str) -> str:
    """``text`` as a SLURM job name (letters, digits, ``_.-``)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "-", text)


def header(
    comments: list[str],
    directives: list[str],
    time_limit: str,
    output: str,
    partition: str | None = None,
    account: str | None = None,
) -> list[str]:
    """The shebang, ``#`` comment lines and ``#SBATCH`` lines of a job script."""
    lines = ["#!/bin/bash", *(f"# {line}" for line in comments)]
    lines += [f"#SBATCH --{option}" for option in [*directives, f"time={time_limit}", f"output={output}"]]
    lines += [f"#SBATCH --{name}={value}" for name, value in (("partition", partition), ("account", account)) if value]
    return lines


def form_cache(directory: str, comment: str) -> str:
    """Bash lines that give the job the private form-compiler cache ``directory`` (a shell word)."""
    export = f"export XDG_CACHE_HOME={directory}"
    return f'# A private form-compiler cache {comment}.\n{export}\nmkdir -p "$XDG_CACHE_HOME"\n'
