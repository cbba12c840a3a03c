"""Stand-ins for SLURM's ``srun`` and Apptainer's ``apptainer`` to run generated job scripts here.

Each logs its command line (one line per call, with the ``XDG_CACHE_HOME``
it saw) to ``LOG`` in its directory, then runs the command it wraps: ``srun``
drops its options; ``apptainer exec [--bind P]... IMAGE CMD...`` runs
``CMD...`` with ``/opt/chemomech/venv/bin`` (the image's environment) mapped
to ``IMAGE_BIN``, or hands the command to ``IMAGE_RUNNER`` when given (a
script that runs it in the image).
"""

import os
from pathlib import Path

LOG = "calls.log"

_SRUN = """#!/bin/bash
echo "srun $* | XDG_CACHE_HOME=$XDG_CACHE_HOME" >> {log}
while [ "${{1#-}}" != "$1" ]; do shift; done
exec "$@"
"""

_APPTAINER = """#!/bin/bash
echo "apptainer $* | XDG_CACHE_HOME=$XDG_CACHE_HOME" >> {log}
shift  # exec
binds=()
while [ "$1" = --bind ]; do binds+=("$2"); shift 2; done
image=$1; shift
{run}
"""
_MAPPED = 'exec "${{@//\\/opt\\/chemomech\\/venv\\/bin/{image_bin}}}"'


def install(directory: Path, image_bin: Path, image_runner: Path | None = None) -> dict[str, str]:
    """Write ``srun`` and ``apptainer`` into ``directory``; return an environment that finds them first."""
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / LOG
    if image_runner is None:
        run = _MAPPED.format(image_bin=image_bin)
    else:
        run = f'exec {image_runner} "$image" "${{binds[@]}}" -- "$@"'
    for name, text in (("srun", _SRUN.format(log=log)), ("apptainer", _APPTAINER.format(log=log, run=run))):
        (directory / name).write_text(text)
        (directory / name).chmod(0o755)
    return os.environ | {"PATH": f"{directory}:{os.environ['PATH']}"}


def calls(directory: Path) -> list[str]:
    """The logged command lines, oldest first."""
    log = directory / LOG
    return log.read_text().splitlines() if log.exists() else []
