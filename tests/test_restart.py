"""Checkpoint and restart (issue 7): a stopped run continues to the same results.

* The state of a run (any Function: Lagrange P1/P2, DG, quadrature
  elements) is read back on another number of ranks, matched by node
  position; another mesh is refused.
* A run stopped after a random step and restarted from its last checkpoint
  gives the series of an uninterrupted run, in-process (serially and on 2
  ranks) and after a real SIGKILL, restarted on another number of ranks
  (1 → 2 and 2 → 1). Every step written before the kill stays readable.
* A series row cut off by a kill is dropped by the reader; a restart without
  a checkpoint, with another case or another mesh exits with code 2.
"""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import basix.ufl
import numpy as np
import pytest
import ufl
from simulate import assert_series_agree, run_interrupted

from chemomech.case import load_case_text
from chemomech.cli import main
from chemomech.dolfinx_compat import MPI, dolfinx
from chemomech.output.series import SeriesWriter, read_series
from chemomech.solve.run import run_case
from chemomech.solve.state import StateMismatch, StateRegistry

ROOT = Path(__file__).resolve().parents[1]
MPIEXEC = Path(sys.executable).parent / "mpiexec"
WORLD = MPI.COMM_WORLD
CHECKPOINT_EVERY = 4
# 2 preload steps, 10 discharge, 1 rest, 10 charge: series steps 0..23
CASE = f"""
name: restart_stack
geometry:
  type: stack
  dimension: axisymmetric
  diameter: 1 mm
  mesh_size: 40 um
  layers:
    - {{name: cathode, material: cathode_S, thickness: 60 um, mesh_size: 12 um}}
    - {{name: separator, material: Li6PS5Cl, thickness: 200 um}}
materials:
  cathode_S: {{base: Li6PS5Cl, youngs_modulus: 12 GPa, poisson_ratio: 0.3, active_fraction: 0.3}}
lithiation:
  active_material: sulfur
  protocol:
    - {{step: discharge, rate: 1 C, until_xi: 1.0}}
    - {{step: rest, duration: 0.5 h}}
    - {{step: charge, rate: 1 C, until_xi: 0.0}}
fixture: {{type: gap, preload: 10 MPa, preload_steps: 2}}
outputs: {{figures: false, checkpoint_every: {CHECKPOINT_EVERY}}}
solver: {{max_xi_step: 0.1}}
"""
LAST_STEP = 23


def shared_dir(factory, name: str) -> Path:
    """A fresh directory that every rank sees (rank 0's)."""
    path = factory.mktemp(name) if WORLD.rank == 0 else None
    return Path(WORLD.bcast(str(path) if path else None, root=0))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run on this process's ranks: (outdir, series)."""
    outdir = shared_dir(tmp_path_factory, "reference") / "out"
    run_case(load_case_text(CASE), outdir)
    return outdir, read_series(outdir / "series.csv")


def field_steps(outdir: Path) -> dict[str, list[float]]:
    """The steps listed per field in the fields.xdmf index."""
    domain = ET.parse(outdir / "fields.xdmf").getroot().find("Domain")
    return {
        grid.get("Name"): [float(g.find("Time").get("Value")) for g in grid.findall("Grid")]
        for grid in domain.findall("Grid")
        if grid.get("GridType") == "Collection"
    }


def assert_fields_readable(outdir: Path) -> int:
    """Every field lists the steps 0..n in the fields.xdmf index, every data file
    it names exists and every segment's HDF5 file opens; returns n."""
    listed = field_steps(outdir)
    stress = {"sigma1", "sigma3", "von_mises", "hydrostatic_stress", "risk_ratio", "critical_flaw_size"}
    assert set(listed) == {"displacement", "lithiation", *stress}
    last = len(listed["displacement"]) - 1
    for field, times in listed.items():
        assert times == [float(s) for s in range(last + 1)], field
    for item in ET.parse(outdir / "fields.xdmf").getroot().iter("DataItem"):
        assert (outdir / item.text.split(":")[0]).is_file(), item.text
    for segment in sorted((outdir / "fields").glob("steps_*.xdmf")):
        with dolfinx.io.XDMFFile(MPI.COMM_SELF, str(segment), "r") as file:
            assert file.read_mesh(name="mesh").topology.index_map(2).size_global > 0
    return last


# --- state by node position, across rank counts ---------------------------------------------


def _functions(mesh, *, filled: bool) -> dict:
    """P1, P2 vector, DG1 and quadrature (scalar, 2x2 tensor) Functions on ``mesh``.

    Filled with known values that jump between cells wherever the space
    allows (DG, quadrature), where nodes of neighbouring cells coincide.
    """
    cell = mesh.basix_cell()
    x = ufl.SpatialCoordinate(mesh)
    midpoint = dolfinx.fem.Function(dolfinx.fem.functionspace(mesh, ("DG", 0)))
    midpoint.interpolate(lambda p: p[0] + 2.0 * p[1])  # DG0 interpolates at cell midpoints
    smooth = 1.0 + x[0] ** 2 - 3.0 * x[0] * x[1]
    jumping = smooth + 7.0 * midpoint
    cases = {
        "p1": (("Lagrange", 1), smooth),
        "p2_vector": (("Lagrange", 2, (2,)), ufl.as_vector([smooth, 2.0 * x[1] ** 2])),
        "dg1": (("DG", 1), jumping),
        "quadrature": (basix.ufl.quadrature_element(cell, degree=2), jumping),
        "quadrature_tensor": (
            basix.ufl.quadrature_element(cell, value_shape=(2, 2), degree=3),
            ufl.as_matrix([[smooth, 7.0 * midpoint], [x[1], jumping]]),
        ),
    }
    functions = {}
    for name, (element, expression) in cases.items():
        space = dolfinx.fem.functionspace(mesh, element)
        functions[name] = dolfinx.fem.Function(space)
        if filled:
            functions[name].interpolate(dolfinx.fem.Expression(expression, space.element.interpolation_points))
    return functions


@pytest.mark.parametrize("direction", ["world_to_self", "self_to_world"])
def test_state_round_trip_across_rank_counts(mpi_tmp_path, direction):
    """Saved on one communicator, read on another (on 2 ranks: 2 → 1 and 1 → 2)."""
    self_file = mpi_tmp_path / f"self{WORLD.rank}.npz"  # every rank saves its own serial copy
    world_file = mpi_tmp_path / "world.npz"
    save_comm, load_comm = (WORLD, MPI.COMM_SELF) if direction == "world_to_self" else (MPI.COMM_SELF, WORLD)
    save_path = world_file if save_comm is WORLD else self_file
    load_path = world_file if save_comm is WORLD else mpi_tmp_path / "self0.npz"

    saved = StateRegistry()
    for name, function in _functions(dolfinx.mesh.create_unit_square(save_comm, 6, 5), filled=True).items():
        saved.add(name, function)
    saved.save(save_path, save_comm)
    WORLD.barrier()

    mesh = dolfinx.mesh.create_unit_square(load_comm, 6, 5)
    loaded = StateRegistry()
    for name, function in _functions(mesh, filled=False).items():
        loaded.add(name, function)
    loaded.load(load_path, load_comm)
    expected = _functions(mesh, filled=True)
    for name, function in loaded.functions.items():
        np.testing.assert_allclose(function.x.array, expected[name].x.array, rtol=0, atol=1e-12, err_msg=name)


def test_state_refuses_another_mesh(mpi_tmp_path):
    def p1(nx: int):
        mesh = dolfinx.mesh.create_unit_square(WORLD, nx, 5)
        return dolfinx.fem.Function(dolfinx.fem.functionspace(mesh, ("Lagrange", 1)))

    saved = StateRegistry()
    saved.add("u", p1(6))
    saved.save(mpi_tmp_path / "state.npz", WORLD)
    loaded = StateRegistry()
    loaded.add("u", p1(7))
    loaded.add("v", p1(6))
    with pytest.raises(StateMismatch) as err:  # on every rank
        loaded.load(mpi_tmp_path / "state.npz", WORLD)
    # 8 x 6 nodes, of which the columns x = 0 and x = 1 are also nodes of the 7 x 6 grid saved
    assert str(err.value) == "u: 36 node(s) not in the checkpoint, 0 ambiguous; v: not in the checkpoint"


# --- series.csv ------------------------------------------------------------------------------


def test_series_reader_drops_a_row_cut_off_by_a_kill(tmp_path):
    path = tmp_path / "series.csv"
    path.write_text("step [-],time [s]\r\n0,0\r\n1,10\r\n2,20\r\n3,3")  # killed while writing row 3
    assert read_series(path) == {"step [-]": [0.0, 1.0, 2.0], "time [s]": [0.0, 10.0, 20.0]}
    series = SeriesWriter(path, MPI.COMM_SELF, keep_rows=2)  # a restart after step 1
    series.write({"step [-]": 2, "time [s]": 21.0})
    series.close()
    assert read_series(path) == {"step [-]": [0.0, 1.0, 2.0], "time [s]": [0.0, 10.0, 21.0]}


# --- restart of an interrupted run, in-process ------------------------------------------------


def test_interrupted_run_restarts_to_the_same_results(mpi_tmp_path, reference):
    """Stopped right after a random step; the restart continues from the checkpoint before it."""
    stop = WORLD.bcast(random.randrange(CHECKPOINT_EVERY + 1, LAST_STEP - 1), root=0)
    print(f"stopped after step {stop}")  # shown if the test fails
    outdir = mpi_tmp_path / "out"
    run_interrupted(CASE, outdir, stop)
    assert len(read_series(outdir / "series.csv")["step [-]"]) == stop + 1
    checkpoint = (stop - 1) // CHECKPOINT_EVERY * CHECKPOINT_EVERY  # none after the stopped step
    assert json.loads((outdir / "checkpoint.json").read_text())["step"] == checkpoint

    summary = run_case(load_case_text(CASE), outdir, restart=True)
    assert summary["status"] == "completed" and summary["restarted_after_step"] == checkpoint
    assert_series_agree(read_series(outdir / "series.csv"), reference[1])  # to solver tolerance: GAMG is rebuilt
    full = json.loads((reference[0] / "summary.json").read_text())
    assert summary["steps"] == full["steps"] == LAST_STEP + 1
    assert summary["newton_iterations"] == full["newton_iterations"]
    extremes = full["crack_risk"]["extremes"]  # folded over the steps before and after the restart
    assert extremes and summary["crack_risk"]["extremes"] == pytest.approx(extremes, rel=1e-8, abs=1e-12)
    if WORLD.rank == 0:
        assert assert_fields_readable(outdir) == LAST_STEP
    log = (outdir / "run.log").read_text()
    assert f"restart after step {checkpoint}" in log and log.count(f"step {checkpoint + 1:4d}") == 2


# --- refusals ---------------------------------------------------------------------------------


def _restart(tmp_path: Path, outdir: Path, *overrides: str) -> int:
    case = tmp_path / f"case{WORLD.rank}.yaml"
    case.write_text(CASE)
    args = ["run", str(case), "--restart", str(outdir), "-q"]
    for setting in overrides:
        args += ["--set", setting]
    return main(args)


def test_restart_without_checkpoint_is_refused(tmp_path, mpi_tmp_path, capsys):
    assert _restart(tmp_path, mpi_tmp_path / "empty") == 2
    err = capsys.readouterr().err
    assert WORLD.rank > 0 or "no checkpoint to restart from" in err
    assert not (mpi_tmp_path / "empty").exists()


def test_restart_of_another_case_or_mesh_is_refused(tmp_path, mpi_tmp_path, reference, capsys):
    outdir = mpi_tmp_path / "copy"
    if WORLD.rank == 0:
        shutil.copytree(reference[0], outdir)
    WORLD.barrier()
    series = (outdir / "series.csv").read_text()
    assert _restart(tmp_path, outdir, "solver.max_xi_step=0.2", "fixture.preload=20 MPa") == 2
    assert _restart(tmp_path, outdir, "outputs.field_every=2", "geometry.mesh_size=50 um") == 2
    err = capsys.readouterr().err
    if WORLD.rank == 0:
        assert "it differs in fixture.preload, solver.max_xi_step (only outputs, name and description may" in err
        assert "it differs in geometry.mesh_size (only" in err
        manifest = json.loads((outdir / "checkpoint.json").read_text())
        manifest["mesh"]["coordinate_sum"][0] *= 1.0 + 1e-6  # as if gmsh had meshed differently
        (outdir / "checkpoint.json").write_text(json.dumps(manifest))
    WORLD.barrier()
    assert _restart(tmp_path, outdir) == 2
    assert WORLD.rank > 0 or "the mesh built now differs from the checkpointed one" in capsys.readouterr().err
    assert (outdir / "series.csv").read_text() == series  # nothing was written


# --- a real kill, restarted on another number of ranks ----------------------------------------


def _command(ranks: int, case: Path, *args: str) -> list[str]:
    command = [sys.executable, "-m", "chemomech", "run", str(case), "-q", *args]
    return [str(MPIEXEC), "-n", str(ranks), *command] if ranks > 1 else command


def _kill_after(command: list[str], series: Path, step: int) -> None:
    """Start ``command`` and SIGKILL its whole process group once ``step`` is in ``series``."""
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while process.poll() is None and time.monotonic() < deadline:
        if series.is_file() and series.read_text().count("\n") > step + 1:  # header + rows 0..step
            os.killpg(process.pid, signal.SIGKILL)
            break
        time.sleep(0.002)
    stderr = process.communicate()[1].decode()
    assert process.returncode == -signal.SIGKILL, f"the run ended before the kill: {stderr[-2000:]}"
    while True:  # every rank of the group is gone before the restart
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.01)


@pytest.mark.serial
@pytest.mark.parametrize(
    ("ranks", "restart_ranks"), [(1, 2), pytest.param(2, 1, marks=pytest.mark.long)]
)
def test_killed_run_restarts_on_another_rank_count(tmp_path, reference, ranks, restart_ranks):
    case = tmp_path / "case.yaml"
    case.write_text(CASE)
    outdir = tmp_path / "out"
    kill = random.randrange(CHECKPOINT_EVERY + 1, LAST_STEP - 6)
    print(f"killed after step {kill} on {ranks} rank(s)")  # shown if the test fails
    _kill_after(_command(ranks, case, "-o", str(outdir)), outdir / "series.csv", kill)

    # everything written before the kill is readable
    assert not (outdir / "summary.json").exists()
    killed = read_series(outdir / "series.csv")
    assert len(killed["step [-]"]) > kill
    assert_series_agree(killed, {k: v[: len(killed["step [-]"])] for k, v in reference[1].items()})
    checkpoint = json.loads((outdir / "checkpoint.json").read_text())["step"]
    assert (kill - 1) // CHECKPOINT_EVERY * CHECKPOINT_EVERY <= checkpoint < len(killed["step [-]"])
    # fields are closed at each checkpoint, just before its manifest
    assert checkpoint <= assert_fields_readable(outdir) <= checkpoint + CHECKPOINT_EVERY

    restart_case = outdir / "case.yaml" if ranks == 2 else case  # the run's own copy will do
    result = subprocess.run(
        _command(restart_ranks, restart_case, "--restart", str(outdir)),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert_series_agree(read_series(outdir / "series.csv"), reference[1])
    summary = json.loads((outdir / "summary.json").read_text())
    assert summary["restarted_after_step"] == checkpoint and summary["ranks"] == restart_ranks
    assert summary["steps"] == LAST_STEP + 1
    assert assert_fields_readable(outdir) == LAST_STEP


def test_fields_index_reads_in_vtk(reference):
    """VTK's XDMF reader (ParaView's) sees every step of every segment through fields.xdmf."""
    xdmf = pytest.importorskip("vtkmodules.vtkIOXdmf2", reason="VTK (the viz extra) is not installed")
    from vtkmodules.vtkCommonExecutionModel import vtkStreamingDemandDrivenPipeline

    if WORLD.rank > 0:
        return
    outdir, series = reference
    reader = xdmf.vtkXdmfReader()
    reader.SetFileName(str(outdir / "fields.xdmf"))
    reader.UpdateInformation()
    times = reader.GetOutputInformation(0).Get(vtkStreamingDemandDrivenPipeline.TIME_STEPS())
    assert list(times) == [float(s) for s in range(LAST_STEP + 1)]
    for step in (0, 5, 12, LAST_STEP):  # in four of the six segments
        reader.UpdateTimeStep(float(step))
        blocks = reader.GetOutputDataObject(0)
        names = [blocks.GetMetaData(i).Get(blocks.NAME()) for i in range(blocks.GetNumberOfBlocks())]
        lithiation = blocks.GetBlock(names.index("lithiation")).GetCellData().GetArray("lithiation")
        assert lithiation.GetRange()[1] == pytest.approx(series["lithiation [-]"][step], abs=1e-6)  # read as float32


def test_mixed_formulation_restarts_with_its_pressure(mpi_tmp_path):
    """The DG0 pressure of the mixed u–p formulation is in the checkpoint: the
    restart continues with the Newton iterations of an uninterrupted run (the
    rest step after the checkpoint at step 12 needs none; it would with p = 0)."""
    case = CASE + "mechanics: {formulation: mixed}\n"
    coarse = ["geometry.mesh_size=100 um", "geometry.layers.cathode.mesh_size=30 um", "outputs.fields=false"]
    full = run_case(load_case_text(case, overrides=coarse), mpi_tmp_path / "full")
    stop, checkpoint = 13, 12
    run_interrupted(case, mpi_tmp_path / "out", stop, overrides=coarse)
    summary = run_case(load_case_text(case, overrides=coarse), mpi_tmp_path / "out", restart=True)
    assert summary["restarted_after_step"] == checkpoint
    restarted, uninterrupted = (read_series(mpi_tmp_path / name / "series.csv") for name in ("out", "full"))
    assert_series_agree(restarted, uninterrupted)
    assert summary["newton_iterations"] == full["newton_iterations"]
