"""``chemomech run``: from a validated Case to files in the output directory.

Order of work: resolve materials and the schedule (pure Python, may still
reject the case), build and distribute the mesh, set up the model, and only
then create the output directory and step through the schedule, writing one
series row (and optionally fields) per converged step.
"""

import shutil
import time
from pathlib import Path

from chemomech.dolfinx_compat import MPI
from chemomech.errors import SolverFailure
from chemomech.geometry import build_domain
from chemomech.materials import resolve_materials
from chemomech.output.fields import FieldWriter
from chemomech.output.provenance import environment, package_versions, write_json_atomic
from chemomech.output.series import SeriesWriter
from chemomech.output.stress import StressFields
from chemomech.physics.fixture import InclusionSupport, StackFixture
from chemomech.physics.lithiation import Target, build_schedule, initial_lithiation
from chemomech.physics.material_fields import MaterialFields
from chemomech.physics.mechanics import MechanicsModel
from chemomech.sensors import Dilatometer, LoadCell
from chemomech.solve.observe import StepObserver
from chemomech.solve.stepper import Stepper


def _preload_steps(case) -> int:
    fixture = case.fixture
    if fixture is None or fixture.preload <= 0.0:
        return 0
    return fixture.preload_steps


def _prepare_outdir(outdir: Path, case_path: Path | None, case, comm) -> None:
    if comm.rank == 0:
        outdir.mkdir(parents=True, exist_ok=True)
        if case_path is not None:
            shutil.copyfile(case_path, outdir / "case.yaml")
        write_json_atomic(outdir / "case.resolved.json", case.model_dump(mode="json"))
    comm.barrier()


def run_case(case, outdir: Path, case_path: Path | None = None, *, comm=MPI.COMM_WORLD) -> dict:
    """Run a case; return the summary (also written to ``summary.json``)."""
    wall_start = time.perf_counter()
    outdir = Path(outdir)
    materials = resolve_materials(case)
    schedule = build_schedule(
        case.lithiation, preload_steps=_preload_steps(case), max_xi_step=case.solver.max_xi_step
    )
    mesh_file = Path("meshes") / f"{case.name}.msh" if case.geometry.save_mesh else None
    domain = build_domain(case.geometry, comm, mesh_file=mesh_file)
    xi0 = initial_lithiation(case.lithiation)
    fields = MaterialFields(domain, materials, xi0)
    degree = case.solver.element_degree
    model = MechanicsModel(
        domain,
        fields,
        kinematics=case.mechanics.kinematics,
        degree=degree,
        quadrature_degree=case.solver.quadrature_degree or 2 * degree,
    )
    if case.geometry.type == "stack":
        support = StackFixture(model, case.fixture, case.geometry.lateral, fields.max_youngs_modulus)
        sensors = (LoadCell(model), Dilatometer(model))
    else:
        support = InclusionSupport(model, case.geometry.outer_boundary)
        sensors = None
    stresses = StressFields(model)
    initial = Target(0.0, xi0, "preload", 0.0, 0.0, 0, "initial")
    stepper = Stepper(model, fields, support, case.solver, initial)

    _prepare_outdir(outdir, case_path, case, comm)
    series = SeriesWriter(outdir / "series.csv", comm)
    field_writer = FieldWriter(outdir / "fields.xdmf", model, fields, stresses) if case.outputs.fields else None
    observer = StepObserver(model, fields, stresses, sensors, series, field_writer, case.outputs.field_every)
    summary = {
        "case": case.name,
        "case_file": str(case_path) if case_path is not None else None,
        "status": "running",
        **environment(comm),
        "versions": package_versions(),
        "mesh": {
            "kind": domain.kind,
            "cells": domain.mesh.topology.index_map(domain.mesh.topology.dim).size_global,
            "displacement_dofs": model.space.dofmap.index_map.size_global * model.space.dofmap.index_map_bs,
        },
        "materials": {region: material.describe() for region, material in materials.items()},
    }
    try:
        observer.record(initial, None)
        for target in schedule:
            for state, stats in stepper.advance(target):
                observer.record(state, stats)
        summary["status"] = "completed"
    except SolverFailure as failure:
        summary["status"] = "failed"
        summary["error"] = str(failure)
        raise
    finally:
        series.close()
        if field_writer is not None:
            field_writer.close()
        summary |= {
            "wall_time_s": comm.allreduce(time.perf_counter() - wall_start, op=MPI.MAX),
            "steps": observer.steps,
            "newton_iterations": observer.newton_iterations,
            "krylov_iterations": observer.krylov_iterations,
            "cutbacks": stepper.cutbacks,
            "final": observer.last_row,
        }
        if comm.rank == 0:
            write_json_atomic(outdir / "summary.json", summary)
    return summary
