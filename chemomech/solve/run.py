"""``chemomech run``: from a validated Case to files in the output directory.

The problem is set up first (``build_simulation``, which may still reject
the case or the geometry); only then is the output directory created and the
schedule stepped through, one series row (and optionally fields) per
converged step. On solver failure every row written so far is kept and the
summary records the failure. A checkpoint is written every
``outputs.checkpoint_every`` steps; with ``restart`` the run continues from
the one in ``outdir`` (see chemomech.solve.checkpoint).
"""

import shutil
import sys
import time
from functools import partial
from pathlib import Path

from chemomech import form_cache
from chemomech.case.protocol import protocol_segments
from chemomech.dolfinx_compat import MPI
from chemomech.errors import SolverFailure
from chemomech.output.fields import FieldWriter
from chemomech.output.progress import ProgressDisplay
from chemomech.output.provenance import environment, package_versions, write_json_atomic
from chemomech.output.report import write_report
from chemomech.output.runlog import RunLog
from chemomech.output.snapshots import draw_snapshots
from chemomech.output.series import SeriesWriter
from chemomech.solve.checkpoint import Checkpointer, read_checkpoint, restore
from chemomech.solve.heap import map_large_blocks
from chemomech.solve.observe import StepObserver
from chemomech.solve.simulation import build_simulation


def _prepare_outdir(outdir: Path, case_path: Path | None, case, metrics: dict, comm) -> None:
    """Create ``outdir`` with the case, the resolved case and, for a microstructure, its metrics."""
    if comm.rank == 0:
        outdir.mkdir(parents=True, exist_ok=True)
        copy = outdir / "case.yaml"
        if case_path is not None and not (copy.exists() and copy.samefile(case_path)):  # a restart may use the copy
            shutil.copyfile(case_path, copy)
        write_json_atomic(outdir / "case.resolved.json", case.model_dump(mode="json"))
        if metrics:
            record = {"case": case.name, "versions": package_versions(), **metrics}
            write_json_atomic(outdir / "microstructure.json", record)
    comm.barrier()


def _mesh_summary(sim) -> dict:
    """Size of the problem and, for a pre-meshed domain, where its mesh came from."""
    mesh, space = sim.domain.mesh, sim.model.space
    source = {"premeshed": sim.domain.source} if sim.domain.source else {}
    return {
        **source,
        "kind": sim.domain.kind,
        "cells": mesh.topology.index_map(mesh.topology.dim).size_global,
        "displacement_dofs": space.dofmap.index_map.size_global * space.dofmap.index_map_bs,
        "element_degree": sim.case.solver.element_degree,
        "formulation": sim.model.formulation,
    }


def _announce(log, display, text: str) -> None:
    """A line for run.log and, with progress on, the terminal."""
    log.line(text)
    display.message(text)


def _protocol_steps(lithiation) -> list[dict]:
    """Label, cycle and end time of every protocol step, in order (for the snapshots at their ends)."""
    steps, end = [], 0.0
    for segment in protocol_segments(lithiation):
        end += segment.duration
        if segment.duration > 0.0:  # as in the schedule: a step that takes no time is skipped
            steps.append({"label": segment.label, "cycle": segment.cycle, "end_time [s]": end})
    return steps


def _draw_figures(outdir: Path, title: str) -> list[str]:
    """Plot the series and the field snapshots; return the problems (never lose a run for a picture)."""
    from chemomech.output.figures import write_figures  # matplotlib: only where figures are drawn (rank 0)

    problems = []
    try:
        write_figures(outdir, title)
    except Exception as err:  # noqa: BLE001 - the results themselves are safe on disk
        problems.append(f"figures not written: {err}")
    return problems + draw_snapshots(outdir)[1]


def _write_report(outdir: Path, log) -> None:
    try:
        write_report(outdir)
    except Exception as err:  # noqa: BLE001
        print(f"warning: report not written: {err}", file=sys.stderr)
        log.line(f"WARNING report not written: {err}")


def run_case(
    case,
    outdir: Path,
    case_path: Path | None = None,
    *,
    comm=MPI.COMM_WORLD,
    progress: bool = False,
    restart: bool = False,
    mesh_dir: Path | None = None,
) -> dict:
    """Run a case; return the summary (also written to ``summary.json``).

    With ``progress`` rank 0 shows the progress of the stepping (a bar on a
    terminal, a line per tenth of the schedule otherwise); with ``restart``
    the run continues from the checkpoint in ``outdir``; with ``mesh_dir``
    the domain is read from that pre-meshed directory (chemomech mesh)
    instead of being meshed.
    """
    wall_start = time.perf_counter()
    map_large_blocks()
    outdir = Path(outdir)
    if comm.rank == 0:
        removed = form_cache.repair()
        if removed and progress:
            print(f"removed {len(removed)} dead or broken entries from the form cache {form_cache.cache_directory()}")
    comm.barrier()
    checkpoint = read_checkpoint(outdir, case, comm) if restart else None
    sim = build_simulation(case, comm, mesh_dir)
    if checkpoint is not None:
        restore(sim, checkpoint, outdir, comm)
    setup_time = time.perf_counter() - wall_start

    _prepare_outdir(outdir, case_path, case, sim.domain.metrics, comm)
    kept = checkpoint["step"] if checkpoint is not None else None  # last series step kept
    series = SeriesWriter(outdir / "series.csv", comm, keep_rows=None if kept is None else kept + 1)
    extra_fields = [
        *sim.risk.fields(),
        *(sim.history.fields() if sim.history is not None else ()),
        *(function for field in sim.coupled for function in field.output_functions()),
    ]
    fields = (
        FieldWriter(outdir / "fields.xdmf", sim.model, sim.fields, sim.stresses, extra_fields, keep_through=kept)
        if case.outputs.fields
        else None
    )
    display = ProgressDisplay(sim.schedule, sim.initial, enabled=progress and comm.rank == 0)
    log = RunLog(outdir / "run.log", comm, append=restart)
    announce = partial(_announce, log, display)
    observer = StepObserver(sim, series, fields, case.outputs.field_every, log, announce, display)
    if checkpoint is not None:
        observer.restore(checkpoint["observer"])
    checkpoints = Checkpointer(outdir, sim, observer, fields, case.outputs.checkpoint_every, comm)
    mesh = _mesh_summary(sim)
    announce(
        f"{case.name}: {mesh['kind']}, {mesh['cells']} cells, {mesh['displacement_dofs']} dofs, "
        f"{comm.size} rank(s), {len(sim.schedule)} targets -> {outdir}",
    )
    if checkpoint is not None:
        announce(f"restart after step {kept} (checkpoint written on {checkpoint['ranks']} rank(s))")
    summary = {
        "case": case.name,
        "case_file": str(case_path) if case_path is not None else None,
        "status": "running",
        **environment(comm),
        "versions": package_versions(),
        "mesh": mesh,
        "materials": {region: material.describe() for region, material in sim.materials.items()},
        "electrode_balance": sim.balance.describe() if sim.balance is not None else None,
        "phase_field": sim.phase_field,
        "protocol_steps": _protocol_steps(case.lithiation),
    }
    if checkpoint is not None:
        summary["restarted_after_step"] = kept
    def finish() -> None:
        """Close the outputs and write the summary: collective, on every rank."""
        observer.flush_warnings()
        observer.write_last_fields()
        series.close()
        if fields is not None:
            fields.close()
        summary.update(
            setup_time_s=comm.allreduce(setup_time, op=MPI.MAX),
            wall_time_s=comm.allreduce(time.perf_counter() - wall_start, op=MPI.MAX),
            steps=observer.steps,
            newton_iterations=observer.newton_iterations,
            krylov_iterations=observer.krylov_iterations,
            cutbacks=sim.stepper.cutbacks,
            warnings=sim.stepper.warnings,
            distortion=observer.distortion.extremes,
            crack_risk={"parameters": sim.risk.describe(), "extremes": observer.risk_extremes},
            final=observer.last_row,
        )
        display.close()
        if comm.rank == 0:
            write_json_atomic(outdir / "summary.json", summary)
            if case.outputs.figures:
                problems = _draw_figures(outdir, case.name)
                if problems:  # in rank 0's summary only: the pictures are drawn there
                    summary["warnings"] = [*summary["warnings"], *problems]
                    write_json_atomic(outdir / "summary.json", summary)
                for problem in problems:
                    print(f"warning: {problem}", file=sys.stderr)
                    log.line(f"WARNING {problem}")
                _write_report(outdir, log)
        announce(
            f"{summary['status']} in {summary['wall_time_s']:.1f} s: {summary['steps']} steps, "
            f"{summary['newton_iterations']} Newton, {summary['krylov_iterations']} Krylov iterations, "
            f"{summary['cutbacks']} cut-backs",
        )
        log.close()
        sim.stepper.close()  # collective: every rank destroys its solvers here (chemomech.solve.release)
        comm.barrier()  # every file is complete when run_case returns on any rank

    try:
        if checkpoint is None:
            observer.record(sim.initial, None)
        for state, stats in sim.run_schedule():
            observer.record(state, stats)
            checkpoints.after_step(observer.steps - 1)
    except SolverFailure as failure:  # raised on every rank together
        summary["status"] = "failed"
        summary["error"] = str(failure)
        finish()
        raise
    except BaseException:
        # Possibly on this rank alone: close local files only; a collective
        # call here could wait forever for ranks that will never join it.
        display.close()
        series.close()
        log.close()
        raise
    summary["status"] = "completed"
    finish()
    return summary
