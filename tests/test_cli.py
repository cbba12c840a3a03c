"""The command line: check, run (with a stand-in run_case), schema, materials."""

import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from chemomech.cli import main
from chemomech.errors import SolverFailure

VALID = """\
name: pellet
geometry:
  type: stack
  dimension: axisymmetric
  diameter: 10 mm
  layers:
    - {name: cathode, material: sulfur, thickness: 60 um}
    - {name: separator, material: Li6PS5Cl, thickness: 500 um}
fixture: {type: gap, preload: 50 MPa}
"""
# (text, line, field) of malformed cases for the exit-code tests
MALFORMED = [
    (VALID.replace("60 um", "60"), 7, "geometry.layers[0].thickness"),
    (VALID.replace("diameter:", "diametre:"), 5, "geometry.diametre"),
    (VALID.replace("Li6PS5Cl", "LPSCl"), 8, "geometry.layers[1].material"),
    (VALID + "solver: {linear_solver: petsc}\n", 10, "solver.linear_solver"),
    ("geometry: {type: stack\n", 2, ""),
]
MPIEXEC = Path(sys.executable).parent / "mpiexec"


def write(tmp_path: Path, text: str, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def fake_solver(monkeypatch, behaviour=None) -> list:
    """Install a stand-in chemomech.solve.run.run_case; return the list of its calls."""
    calls = []

    def run_case(case, *, outdir, case_path, progress, restart=False, mesh_dir=None):
        calls.append((case, outdir, case_path))
        if behaviour is not None:
            behaviour()

    module = types.ModuleType("chemomech.solve.run")
    module.run_case = run_case
    monkeypatch.setitem(sys.modules, "chemomech.solve.run", module)
    return calls


def rank() -> int:
    """This process's MPI rank (the suite also runs under mpiexec -n 2)."""
    from chemomech.dolfinx_compat import MPI

    return MPI.COMM_WORLD.rank


def test_check_ok(tmp_path, capsys):
    assert main(["check", str(write(tmp_path, VALID))]) == 0
    out = capsys.readouterr().out
    if rank() > 0:
        assert out == ""  # only rank 0 prints
        return
    assert out.startswith("ok: pellet: axisymmetric stack of 2 layers (cathode, separator), gap fixture")


def test_check_error(tmp_path, capsys):
    path = write(tmp_path, VALID)
    assert main(["check", str(path), "--set", "geometry.diameter=5"]) == 2  # on every rank
    err = capsys.readouterr().err
    if rank() > 0:
        assert err == ""
        return
    assert err.strip() == (
        f"{path}: --set geometry.diameter=5: geometry.diameter: expected a positive length like '60 um', got 5"
    )


def test_schema(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "Case" and "geometry" in schema["properties"]
    # Fields are described by their attribute docstrings, those of a base class (_Transfer) included.
    layer, discharge = schema["$defs"]["Layer"]["properties"], schema["$defs"]["Discharge"]["properties"]
    assert layer["name"]["description"] == "Region name (an identifier), used for tags and outputs."
    assert "60 um" in layer["thickness"]["description"]  # no docstring: the unit type's description
    assert discharge["rate"]["description"] == "C-rate in 1/h."


def test_materials_csv(capsys):
    assert main(["materials", "--csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "material,property,value,unit,source,confidence"
    assert any(line.startswith("Li6PS5Cl,youngs_modulus,22,GPa,Singh et al.") for line in lines)


def test_materials_table(capsys):
    assert main(["materials"]) == 0
    out = capsys.readouterr().out
    assert "Li6PS5Cl" in out and "confidence" in out


@pytest.mark.serial
def test_run_calls_run_case(tmp_path, monkeypatch):
    calls = fake_solver(monkeypatch)
    path = write(tmp_path, VALID)
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(path), "--set", "solver.linear_solver=mumps"]) == 0
    assert main(["run", str(path), "-o", str(tmp_path / "out")]) == 0
    (case, outdir, case_path), (_, outdir2, _) = calls
    assert case.name == "pellet" and case.solver.linear_solver == "mumps"
    assert outdir == Path("results") / "pellet" and case_path == path
    assert outdir2 == tmp_path / "out"


@pytest.mark.serial
def test_run_keeps_the_collector_off_the_imports_until_it_ends(tmp_path, monkeypatch):
    """run_case runs with the objects alive before it frozen; they are collectable again after it."""
    import gc

    frozen = []
    fake_solver(monkeypatch, behaviour=lambda: frozen.append(gc.get_freeze_count()))
    assert main(["run", str(write(tmp_path, VALID)), "-o", str(tmp_path / "out")]) == 0
    assert frozen[0] > 10_000  # the modules, classes and functions of the imports at least
    assert gc.get_freeze_count() == 0

@pytest.mark.serial
def test_run_invalid_case_does_not_call_run_case(tmp_path, monkeypatch, capsys):
    calls = fake_solver(monkeypatch)
    path = write(tmp_path, VALID.replace("500 um", "-1 um"))
    assert main(["run", str(path), "-o", str(tmp_path / "out")]) == 2
    assert calls == [] and not (tmp_path / "out").exists()
    assert f"{path}:8: geometry.layers[1].thickness: " in capsys.readouterr().err


@pytest.mark.serial
def test_run_solver_failure(tmp_path, monkeypatch, capsys):
    def fail():
        raise SolverFailure("Newton diverged at t = 10 s after 6 cut-backs")

    fake_solver(monkeypatch, fail)
    assert main(["run", str(write(tmp_path, VALID))]) == 1
    assert "solver failure: Newton diverged" in capsys.readouterr().err


@pytest.mark.serial
def test_run_other_errors_propagate_in_serial(tmp_path, monkeypatch):
    def fail():
        raise ZeroDivisionError("bug")

    fake_solver(monkeypatch, fail)
    with pytest.raises(ZeroDivisionError):
        main(["run", str(write(tmp_path, VALID))])


def cli(*args, cwd=None, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "chemomech", *args], capture_output=True, text=True, cwd=cwd, timeout=timeout
    )


@pytest.mark.serial
@pytest.mark.parametrize("text, line, field", MALFORMED)
def test_malformed_cases_exit_with_2_naming_line_and_field(tmp_path, monkeypatch, capsys, text, line, field):
    path = write(tmp_path, text)
    outdir = tmp_path / "out"
    monkeypatch.chdir(tmp_path)
    for args in (["check", str(path)], ["run", str(path), "-o", str(outdir)]):
        assert main(args) == 2
        captured = capsys.readouterr()
        assert "Traceback" not in captured.out + captured.err
        assert f"{path}:{line}: {field}" in captured.err
    assert not outdir.exists() and not (tmp_path / "results").exists()


@pytest.mark.serial
def test_cli_subprocess_rejects_a_malformed_case(tmp_path):
    """The same through ``python -m chemomech``: the exit code of the process."""
    text, line, field = MALFORMED[0]
    path = write(tmp_path, text)
    outdir = tmp_path / "out"
    for args in (["check", str(path)], ["run", str(path), "-o", str(outdir)]):
        result = cli(*args, cwd=tmp_path)
        assert result.returncode == 2, result
        assert "Traceback" not in result.stdout + result.stderr
        assert f"{path}:{line}: {field}" in result.stderr
    assert not outdir.exists() and not (tmp_path / "results").exists()


@pytest.mark.serial
def test_cli_subprocess_check_ok_and_missing_file(tmp_path):
    result = cli("check", str(write(tmp_path, VALID)))
    assert result.returncode == 0 and result.stdout.startswith("ok: pellet")
    result = cli("run", str(tmp_path / "nothere.yaml"))
    assert result.returncode == 2 and "no such file" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.serial
def test_exit_leaves_the_live_objects_to_the_system():
    """main() makes gc.freeze an exit handler: the last collection at exit has nothing alive to visit."""
    script = textwrap.dedent(
        """\
        import atexit, gc
        atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count()))  # runs after main's handler
        from chemomech.cli import main
        print("frozen before:", gc.get_freeze_count())
        for _ in range(2):
            try:
                main(["check", "--help"])
            except SystemExit:
                pass
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    before, at_exit = int(lines[0].removeprefix("frozen before: ")), int(lines[-1].removeprefix("frozen at exit: "))
    assert at_exit > before + 10_000  # the modules, classes and functions of the imports at least


# A stand-in for chemomech.solve.run under mpiexec: BEHAVIOUR is exec'd on each rank.
STANDIN = textwrap.dedent(
    """\
    import sys, types
    from mpi4py import MPI
    from chemomech.errors import SolverFailure

    BEHAVIOUR = sys.argv.pop(1)

    def run_case(case, *, outdir, case_path, progress, restart=False, mesh_dir=None):
        rank = MPI.COMM_WORLD.rank
        exec(BEHAVIOUR)

    module = types.ModuleType("chemomech.solve.run")
    module.run_case = run_case
    sys.modules["chemomech.solve.run"] = module
    from chemomech.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


def mpirun(tmp_path, behaviour, *args):
    script = write(tmp_path, STANDIN, "standin.py")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run(
        [str(MPIEXEC), "-n", "2", sys.executable, str(script), behaviour, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )


needs_mpiexec = pytest.mark.skipif(not MPIEXEC.exists(), reason="no mpiexec beside the Python interpreter")


@pytest.mark.serial
@needs_mpiexec
def test_mpi_invalid_case_prints_once(tmp_path):
    path = write(tmp_path, VALID.replace("60 um", "60"))
    result = mpirun(tmp_path, "raise AssertionError('not reached')", "run", str(path), "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.count(f"{path}:7: geometry.layers[0].thickness") == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.serial
@needs_mpiexec
def test_mpi_solver_failure(tmp_path):
    path = write(tmp_path, VALID)
    result = mpirun(tmp_path, "raise SolverFailure('no convergence')", "run", str(path))
    assert result.returncode == 1
    assert result.stderr.count("solver failure: no convergence") == 1


@pytest.mark.serial
@needs_mpiexec
def test_mpi_error_on_one_rank_aborts(tmp_path):
    """An error on rank 1 while rank 0 waits in a collective must not hang."""
    path = write(tmp_path, VALID)
    behaviour = "if rank == 1: raise ValueError('boom')\nMPI.COMM_WORLD.barrier()"
    result = mpirun(tmp_path, behaviour, "run", str(path))
    assert result.returncode == 1
    assert result.stderr.count("chemomech run: error on rank 1: ValueError: boom; stopping all ranks") == 1


@pytest.mark.serial
def test_unmeshable_geometry_exits_2_on_two_ranks_without_output(tmp_path):
    """A geometry gmsh cannot mesh is reported once, on every rank exit 2, nothing written."""
    case = write(tmp_path, INCLUSION_TOO_THIN)
    outdir = tmp_path / "out"
    result = subprocess.run(
        [str(MPIEXEC), "-n", "2", sys.executable, "-m", "chemomech", "run", str(case), "-o", str(outdir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.count("geometry:") == 1
    assert not outdir.exists()


INCLUSION_TOO_THIN = """\
geometry:
  type: inclusion
  dimension: axisymmetric
  inclusion_radius: 5 um
  outer_radius: 5.0000001 um
  inclusion_material: sulfur
  matrix_material: Li6PS5Cl
  mesh_size: 1 um
"""
