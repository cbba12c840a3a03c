"""Run a case given as YAML text through the real set-up and stepping code."""

import gc

import numpy as np
import pytest

from chemomech.case import load_case_text
from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.solve.observe import StepObserver
from chemomech.solve.run import run_case
from chemomech.solve.simulation import build_simulation


def simulate(text: str, overrides=()):
    """Build the simulation of a YAML case and step it to the end.

    Returns the Simulation, its solvers closed as run_case closes them (each
    keeps MPI communicators until then; MPICH has 2048 per process), and a
    list of (state, pressure, plunger displacement) per converged step
    (sensors on stacks, None otherwise).
    """
    sim = build_simulation(load_case_text(text, overrides=overrides), MPI.COMM_WORLD)
    history = []
    for state, _ in sim.run_schedule():
        if sim.sensors is None:
            history.append((state, None, None))
        else:
            load_cell, dilatometer = sim.sensors
            history.append((state, load_cell.pressure(), dilatometer.displacement()))
    sim.stresses.update()
    sim.stepper.close()
    return sim, history


def cell_values(sim, expression) -> np.ndarray:
    """A scalar UFL expression at the midpoints of the owned cells."""
    mesh = sim.domain.mesh
    space = dolfinx.fem.functionspace(mesh, ("DG", 0))
    field = dolfinx.fem.Function(space)
    field.interpolate(dolfinx.fem.Expression(expression, space.element.interpolation_points))
    owned = mesh.topology.index_map(mesh.topology.dim).size_local
    return field.x.array[:owned]


def global_max_abs(sim, values: np.ndarray) -> float:
    local = float(np.max(np.abs(values))) if values.size else 0.0
    return sim.domain.mesh.comm.allreduce(local, op=MPI.MAX)


class Interrupted(Exception):
    """Stands in for a kill in the in-process restart tests."""


def run_interrupted(text: str, outdir, stop: int, overrides=()) -> None:
    """Run the YAML case into ``outdir`` and stop it, as a kill would, right after
    series step ``stop`` is written; its checkpoints stay for a restart."""
    record = StepObserver.record

    def record_then_stop(observer, state, stats):
        record(observer, state, stats)
        if observer.steps - 1 == stop:
            raise Interrupted

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(StepObserver, "record", record_then_stop)
        with pytest.raises(Interrupted):
            run_case(load_case_text(text, overrides=overrides), outdir)
    gc.collect()  # the open fields file is closed now, on every rank together


def assert_series_agree(a: dict, b: dict, rtol: float = 1e-8) -> None:
    """Two series.csv (as read_series dicts) have the same columns and rows, and every column
    agrees to rtol of its largest value, or of one output unit (1 µm, 1 MPa, 1 N) where the
    column is near zero (the thickness change under a constant gap: zero to solver tolerance).
    Iteration counts are not compared: they depend on the partition and the cell numbering."""
    assert a.keys() == b.keys()
    for column in a:
        if column.endswith("_iterations [-]"):
            continue
        x, y = np.asarray(a[column]), np.asarray(b[column])
        assert x.shape == y.shape, column
        assert np.max(np.abs(x - y)) <= rtol * max(np.max(np.abs(x)), 1.0), column

