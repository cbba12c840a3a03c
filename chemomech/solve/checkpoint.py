"""Checkpoints of a run, and the restart from the latest one.

Every ``outputs.checkpoint_every`` converged steps (0: never) the run closes
its fields segment and writes ``checkpoint/step_<n>.npz``, the registered
Functions by node position (chemomech.solve.state, readable on any number of
ranks), then ``checkpoint.json``: the step, the position in the schedule,
the stepper's and the observer's state, the resolved case and a fingerprint
of the mesh. Both go through a temporary file and an atomic rename, the
manifest last, so it always names a complete checkpoint; older checkpoint
files are removed after it. The mesh itself is not stored: it is rebuilt
from the case, deterministically.

``chemomech run CASE --restart OUTDIR`` refuses (RestartError, exit 2, on
every rank, before anything is written) a directory without a checkpoint, a
case that differs from the checkpointed one anywhere but in ``outputs``,
``name`` and ``description`` (the copy OUTDIR/case.yaml is named after its
file, unless the case names itself), and
a mesh with other numbers of cells or nodes or other coordinates; it then
reads the Functions back, restores the stepper, and the run goes on after
the checkpoint's step as if it had never stopped.
"""

import json
import math
from pathlib import Path

from chemomech.errors import RestartError
from chemomech.output.provenance import write_json_atomic
from chemomech.output.series import complete_lines
from chemomech.physics.lithiation import Target
from chemomech.solve.state import StateMismatch

MANIFEST = "checkpoint.json"
FOLDER = "checkpoint"
FORMAT = 1
COORDINATE_RTOL = 1e-9  # of the mesh fingerprint's coordinate moments
FREE = ("outputs", "name", "description")  # case fields a restart may change: they do not change results


def mesh_fingerprint(mesh) -> dict:
    """Global numbers of cells and nodes, and the first two moments of the node coordinates."""
    comm = mesh.comm
    owned = mesh.geometry.index_map().size_local
    x = mesh.geometry.x[:owned, : mesh.geometry.dim]
    return {
        "cells": mesh.topology.index_map(mesh.topology.dim).size_global,
        "nodes": mesh.geometry.index_map().size_global,
        "coordinate_sum": comm.allreduce(x.sum(axis=0)).tolist(),
        "coordinate_square_sum": comm.allreduce((x * x).sum(axis=0)).tolist(),
    }


def _same_mesh(stored: dict, current: dict) -> bool:
    if stored["cells"] != current["cells"] or stored["nodes"] != current["nodes"]:
        return False
    scale = max(map(abs, current["coordinate_square_sum"] + current["coordinate_sum"]), default=0.0)
    pairs = [
        *zip(stored["coordinate_sum"], current["coordinate_sum"], strict=True),
        *zip(stored["coordinate_square_sum"], current["coordinate_square_sum"], strict=True),
    ]
    return all(math.isclose(a, b, rel_tol=COORDINATE_RTOL, abs_tol=COORDINATE_RTOL * scale) for a, b in pairs)


def _resolved(case) -> dict:
    """The case as written to case.resolved.json (JSON types only)."""
    return json.loads(json.dumps(case.model_dump(mode="json"), default=str))


def _differences(a, b, path: str = "") -> list[str]:
    """Dotted paths where two JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(a.keys() | b.keys())
        return [d for key in keys for d in _differences(a.get(key), b.get(key), f"{path}.{key}".lstrip("."))]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [path or "(whole case)"]


class Checkpointer:
    """Writes a checkpoint every ``every`` steps (never with 0)."""

    def __init__(self, outdir: Path, sim, observer, fields, every: int, comm):
        self.outdir = Path(outdir)
        self.sim = sim
        self.observer = observer
        self.fields = fields
        self.every = every
        self.comm = comm
        self._mesh = mesh_fingerprint(sim.domain.mesh) if every else None

    def after_step(self, step: int) -> None:
        """Checkpoint after series step ``step`` if it is due (collective)."""
        if self.every and step > 0 and step % self.every == 0:
            self.write(step)

    def write(self, step: int) -> None:
        """Checkpoint the state after series step ``step`` (collective)."""
        if self.fields is not None:
            self.fields.end_segment()  # every field step up to here is readable
        folder = self.outdir / FOLDER
        name = f"step_{step:06d}.npz"
        if self.comm.rank == 0:
            folder.mkdir(exist_ok=True)
        self.sim.state.save(folder / name, self.comm)
        if self.comm.rank != 0:
            return
        write_json_atomic(
            self.outdir / MANIFEST,
            {
                "format": FORMAT,
                "step": step,
                "state_file": f"{FOLDER}/{name}",
                "ranks": self.comm.size,
                "next_target": self.sim.next_target,
                "schedule_resumes": self.sim.resumes,
                "stepper": self.sim.stepper.snapshot(),
                "observer": self.observer.snapshot(),
                "mesh": self._mesh,
                "case": _resolved(self.sim.case),
            },
        )
        for path in folder.iterdir():
            if path.name != name:
                path.unlink()


def _check_manifest(outdir: Path, case) -> dict:
    """The manifest in ``outdir`` if the case may restart from it; else RestartError (rank 0)."""
    path = outdir / MANIFEST
    if not path.is_file():
        raise RestartError(
            f"{outdir}: no checkpoint to restart from (no {MANIFEST}; a run writes one every "
            "outputs.checkpoint_every steps)"
        )
    try:
        manifest = json.loads(path.read_text())
        step, stored_case = manifest["step"], manifest["case"]
    except (ValueError, KeyError, TypeError) as err:
        raise RestartError(f"{path}: not a chemomech checkpoint manifest ({err})") from None
    if manifest.get("format") != FORMAT:
        raise RestartError(f"{path}: checkpoint format {manifest.get('format')!r}, expected {FORMAT}")
    current = _resolved(case)
    for key in FREE:
        stored_case.pop(key, None)
        current.pop(key, None)
    changed = _differences(stored_case, current)
    if changed:
        raise RestartError(
            f"{outdir}: the checkpoint was made for another case; it differs in {', '.join(changed)} "
            "(only outputs, name and description may change on a restart)"
        )
    if not (outdir / manifest["state_file"]).is_file():
        raise RestartError(f"{path}: its state file {manifest['state_file']} is missing")
    series = outdir / "series.csv"
    rows = len(complete_lines(series)) - 1 if series.is_file() else 0
    if rows < step + 1:
        raise RestartError(f"{series}: {max(rows, 0)} rows, but the checkpoint is of step {step}")
    return manifest


def read_checkpoint(outdir: Path, case, comm) -> dict:
    """The manifest of the checkpoint in ``outdir`` for ``case`` (collective; RestartError on every rank)."""
    answer = None
    if comm.rank == 0:
        try:
            answer = _check_manifest(Path(outdir), case)
        except RestartError as err:
            answer = err
        except Exception as err:  # noqa: BLE001 - must reach every rank, not end rank 0 alone
            answer = RestartError(f"{outdir}: cannot read the checkpoint: {err}")
    answer = comm.bcast(answer, root=0)
    if isinstance(answer, RestartError):
        raise RestartError(str(answer))
    return answer


def restore(sim, manifest: dict, outdir: Path, comm) -> None:
    """Put ``sim`` into the checkpointed state (collective; RestartError on every rank)."""
    if not _same_mesh(manifest["mesh"], mesh_fingerprint(sim.domain.mesh)):
        raise RestartError(
            f"{outdir}: the mesh built now differs from the checkpointed one "
            f"({manifest['mesh']['cells']} cells, {manifest['mesh']['nodes']} nodes); "
            "was it built by another version of gmsh or chemomech?"
        )
    try:
        sim.state.load(Path(outdir) / manifest["state_file"], comm)
    except StateMismatch as err:
        raise RestartError(f"{outdir}: the checkpoint does not fit this simulation: {err}") from None
    for index, target in manifest.get("schedule_resumes", []):  # voltage cut-offs, holds (model electrode)
        sim.rebuild_schedule(index, Target(**target))
    sim.stepper.restore(manifest["stepper"])
    sim.next_target = manifest["next_target"]

