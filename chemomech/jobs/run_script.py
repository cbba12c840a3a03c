"""The SLURM job script of one run (``chemomech slurm``), with or without a container image.

The ``NODES x RANKS_PER_NODE`` MPI ranks start one of three ways (``MODES``):

- ``host``: ``srun --mpi=pmi2 PYTHON -m chemomech run ...``, this installation
  (its Python is written into the script); any number of nodes.
- ``hybrid``: ``srun --mpi=pmi2 apptainer exec IMAGE chemomech run ...``, one
  container per rank, wired up by SLURM's PMI-2 server: the image's MPICH, or
  the cluster's MPICH-ABI MPI bound into the container (containers/README.md);
  any number of nodes.
- ``image``: ``apptainer exec IMAGE mpiexec -launcher fork -n N chemomech run ...``,
  MPI inside the container (its own process manager, shared memory); one node.

Every job gives the form compiler a cache of its own under OUTDIR (seen by
every node and, bound, inside the container; removed when the job ends) and
is requeued by SLURM after a node failure or preemption (``--requeue``): a
start that finds a checkpoint in OUTDIR continues the run from it with
``chemomech run CASE --restart OUTDIR`` instead of starting afresh. With a
pre-meshed domain (``--mesh DIR``, written by ``chemomech mesh``) every start
reads it instead of meshing (DIR is bound into the container).
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from chemomech.jobs.sbatch import SRUN, form_cache, header, job_name

MODES = ("host", "hybrid", "image")
CHECKPOINT = "checkpoint.json"  # chemomech.solve.checkpoint.MANIFEST (not imported: it loads DOLFINx)
IMAGE_BIN = "/opt/chemomech/venv/bin"  # the environment in the image (containers/)

_HYBRID_NOTE = """\
# The image's MPICH talks to srun's PMI-2 server. To use this cluster's
# MPICH-ABI-compatible MPI (Cray MPICH, Intel MPI, MVAPICH) and its network
# instead, bind it into the container and load it first, for example:
#   export APPTAINER_BIND=/opt/mpi,/usr/lib64/libfabric.so.1:/opt/host-libs/libfabric.so.1
#   export APPTAINERENV_LD_PRELOAD=/opt/mpi/lib/libmpi.so.12:/opt/mpi/lib/libmpifort.so.12
#   export APPTAINERENV_LD_LIBRARY_PATH=/opt/mpi/lib:/opt/host-libs
# binding its dependencies one by one, never the host's /usr/lib64 or /lib64
# (they hold the host's C library). See containers/README.md, "Hybrid model".
"""

_BODY = """
set -euo pipefail
case={case}
outdir={outdir}
settings=({settings})
{mesh}mkdir -p "$outdir"

{cache}
# A requeued job continues from the last checkpoint in OUTDIR.
if [ -f "$outdir/{checkpoint}" ]; then
    where=(--restart "$outdir")
else
    where=(-o "$outdir")
fi

{note}status=0
{launch} run "$case" "${{settings[@]}}" {mesh_args}"${{where[@]}}" --quiet || status=$?
rm -rf "$XDG_CACHE_HOME"
exit "$status"
"""


def launcher(mode: str, ranks: int, image: str | None, premeshed: bool = False) -> str:
    """The command line that starts ``chemomech`` on every rank (before ``run ...``);
    ``premeshed``: also bind the mesh directory ``${mesh[1]}`` into the container."""
    if mode == "host":
        return f"{SRUN} {shlex.quote(sys.executable)} -m chemomech"
    binds = '--bind "$outdir" --bind "$(dirname "$case")"' + (' --bind "${mesh[1]}"' if premeshed else "")
    apptainer = f"apptainer exec {binds} {shlex.quote(image)}"
    if mode == "hybrid":
        return f"{SRUN} {apptainer} {IMAGE_BIN}/chemomech"
    return f"{apptainer} {IMAGE_BIN}/mpiexec -launcher fork -n {ranks} {IMAGE_BIN}/chemomech"


def write_run_script(
    script: Path,
    case: Path,
    settings: list[str],
    outdir: Path,
    nodes: int,
    ranks_per_node: int,
    mode: str = "host",
    image: str | None = None,
    time_limit: str = "01:00:00",
    partition: str | None = None,
    account: str | None = None,
    mesh: Path | None = None,
) -> Path:
    """Write the job script ``script`` that runs ``case`` into ``outdir`` (on the domain
    pre-meshed in ``mesh``, if given); return its path."""
    script, case, outdir = Path(script).resolve(), Path(case).resolve(), Path(outdir).resolve()
    ranks = nodes * ranks_per_node
    where = "this installation" if mode == "host" else f"the image {image}"
    how = {"host": "srun", "hybrid": "srun, one container per rank", "image": "mpiexec inside the container"}[mode]
    lines = header(
        [
            f"chemomech run of {case}: {nodes} node(s) x {ranks_per_node} MPI rank(s), {where} ({how}).",
            f"Output: {outdir}; a requeued job continues from its last checkpoint.",
            f"Submit: sbatch {shlex.quote(str(script))}",
        ],
        [
            f"job-name={job_name(case.stem)}",
            f"nodes={nodes}",
            f"ntasks-per-node={ranks_per_node}",
            "requeue",
            "open-mode=append",
        ],
        time_limit,
        f"{outdir}/slurm/%j.out",
        partition,
        account,
    )
    body = _BODY.format(
        case=shlex.quote(str(case)),
        outdir=shlex.quote(str(outdir)),
        settings=" ".join(f"--set {shlex.quote(setting)}" for setting in settings),
        cache=form_cache('"$outdir/.form-cache-${SLURM_JOB_ID:-0}"', "for this job, seen by every node"),
        checkpoint=CHECKPOINT,
        note=_HYBRID_NOTE if mode == "hybrid" else "",
        launch=launcher(mode, ranks, image, mesh is not None),
        mesh="" if mesh is None else f"mesh=(--mesh {shlex.quote(str(Path(mesh).resolve()))})\n",
        mesh_args="" if mesh is None else '"${mesh[@]}" ',
    )
    (outdir / "slurm").mkdir(parents=True, exist_ok=True)  # SLURM does not create the directory of --output
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text("\n".join(lines) + "\n" + body)
    return script
