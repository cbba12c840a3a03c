"""``chemomech sweep``: parameters, validation up front, local runs, SLURM script, collection."""

import contextlib
import csv
import io
import json
import math
import subprocess
import sys
from pathlib import Path

import fake_slurm
import matplotlib.image
import pytest

from chemomech.cli import main
from chemomech.errors import SweepError
from chemomech.output.series import read_series
from chemomech.sweep.collect import key_outputs
from chemomech.sweep.params import parse_param, parse_params, short_labels, split_values, variants
from chemomech.sweep.record import run_status
from chemomech.sweep.validate import validate_variants

# Two layers, 46 cells, 6 steps: about a second per run.
CASE = """
name: tiny
geometry:
  type: stack
  dimension: axisymmetric
  diameter: 1 mm
  mesh_size: 100 um
  layers:
    - {name: cathode, material: cathode_S, thickness: 60 um}
    - {name: separator, material: Li6PS5Cl, thickness: 200 um}
materials:
  cathode_S: {base: Li6PS5Cl, youngs_modulus: 12 GPa, active_fraction: 0.3}
lithiation:
  protocol: [{step: discharge, rate: 1 C}, {step: charge, rate: 1 C}]
fixture: {preload: 20 MPa, type: spring, frame_stiffness: 1e7 N/m}
outputs: {fields: false, figures: false}
solver: {max_xi_step: 0.5}
"""
STIFFNESS = "fixture.frame_stiffness"
THICKNESS = "geometry.layers.cathode.thickness"
PARAMS = ["--param", f"{STIFFNESS}=1e7 N/m, 1e8 N/m", "--param", f"{THICKNESS}=40 um,60 um"]
NAMES = [
    "run_000_frame_stiffness=1e7N-m_thickness=40um",
    "run_001_frame_stiffness=1e7N-m_thickness=60um",
    "run_002_frame_stiffness=1e8N-m_thickness=40um",
    "run_003_frame_stiffness=1e8N-m_thickness=60um",
]
AREA = math.pi * 0.5e-3**2  # m², the 1 mm pellet
MPIEXEC = Path(sys.executable).parent / "mpiexec"


def write_case(directory: Path) -> Path:
    path = directory / "tiny.yaml"
    path.write_text(CASE)
    return path


def sweep(*args: str) -> tuple[int, str, str]:
    """``chemomech sweep ARGS`` in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["sweep", *map(str, args)])
    return code, out.getvalue(), err.getvalue()


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


# --- parameters -------------------------------------------------------------


@pytest.mark.parametrize(
    "text, values",
    [
        ("1e7 N/m, 1e8 N/m", ["1e7 N/m", "1e8 N/m"]),
        ("60 um,80 um ,100 um", ["60 um", "80 um", "100 um"]),
        ("[1, 2],[3, 4]", ["[1, 2]", "[3, 4]"]),
        ('"a,b", c', ['"a,b"', "c"]),
        ("{x: 1, y: 2},'it''s, here'", ["{x: 1, y: 2}", "'it''s, here'"]),
        (r'"say \", yes", no', [r'"say \", yes"', "no"]),
        ("O'Brien,2", ["O'Brien", "2"]),  # a quote inside a plain value is a character
        ("mumps", ["mumps"]),
    ],
)
def test_split_values(text, values):
    assert split_values(text) == values


@pytest.mark.parametrize(
    "text, message",
    [
        ("fixture.frame_stiffness", "expected KEY=V1,V2,..."),
        ("=1,2", "is not a dotted path"),
        ("fixture..preload=1 MPa", "is not a dotted path"),
        ("fixture. preload=1 MPa", "is not a dotted path"),
        ("fixture.preload=", "an empty value"),
        ("fixture.preload=1 MPa,,2 MPa", "an empty value"),
        ("fixture.preload=1 MPa,", "an empty value"),
        ("fixture.preload=1 MPa,1 MPa", "'1 MPa' is given twice"),
        ("fixture.preload=[1, 2", "an unclosed bracket"),
        ("fixture.preload=1]", "a closing ']'"),
        ("name='a,b", "an unclosed quote"),
        ("name=a\tb", "contains a tab"),
    ],
)
def test_parse_param_rejects(text, message):
    with pytest.raises(SweepError, match="^--param ") as err:
        parse_param(text)
    assert message in str(err.value)


def test_parse_params():
    parameters = parse_params([f"{STIFFNESS}=1e7 N/m,1e8 N/m", f" {THICKNESS} = 40 um"])
    assert [(p.key, p.values) for p in parameters] == [
        (STIFFNESS, ("1e7 N/m", "1e8 N/m")),
        (THICKNESS, ("40 um",)),
    ]
    with pytest.raises(SweepError, match="no --param given"):
        parse_params([])
    with pytest.raises(SweepError, match="swept twice"):
        parse_params([f"{STIFFNESS}=1e7 N/m", f"{STIFFNESS}=1e8 N/m"])
    with pytest.raises(SweepError, match="also given with --set"):
        parse_params([f"{STIFFNESS}=1e7 N/m"], [f"{STIFFNESS}=1e8 N/m"])


def test_short_labels():
    keys = ["geometry.layers.cathode.thickness", "geometry.layers.anode.thickness", "fixture.preload", "preload"]
    assert short_labels(keys) == {
        "geometry.layers.cathode.thickness": "cathode.thickness",
        "geometry.layers.anode.thickness": "anode.thickness",
        "fixture.preload": "fixture.preload",
        "preload": "preload",
    }


def test_variants_are_the_cartesian_product_last_fastest():
    runs = variants(parse_params(PARAMS[1::2] + ["solver.linear_solver=gamg,mumps"]))
    assert len(runs) == 8
    assert [run.index for run in runs] == list(range(8))
    assert runs[5].values == {STIFFNESS: "1e8 N/m", THICKNESS: "40 um", "solver.linear_solver": "mumps"}
    assert runs[5].settings == [f"{STIFFNESS}=1e8 N/m", f"{THICKNESS}=40 um", "solver.linear_solver=mumps"]
    assert runs[5].name == "run_005_frame_stiffness=1e8N-m_thickness=40um_linear_solver=mumps"
    assert [run.name for run in variants(parse_params(PARAMS[1::2]))] == NAMES
    many = variants(parse_params(["solver.max_newton_iterations=" + ",".join(map(str, range(1, 1002)))]))
    assert many[0].name == "run_0000_max_newton_iterations=1" and len({run.name for run in many}) == 1001


def test_validation_names_each_problem_once_with_its_runs(tmp_path):
    path = write_case(tmp_path)
    runs = variants(parse_params([f"{STIFFNESS}=1e7 N/m,soft,1e8", f"{THICKNESS}=40 um,60 um"]))
    with pytest.raises(SweepError) as err:
        validate_variants(path, [], runs)
    lines = str(err.value).splitlines()
    assert lines[0] == "invalid case in the sweep, nothing was run:"
    assert lines[1] == (
        f"{path}: --set {STIFFNESS}=soft: {STIFFNESS}: expected a positive stiffness like '1e8 N/m', got 'soft' "
        "(write a number, then a unit)  "
        "[runs run_002_frame_stiffness=soft_thickness=40um, run_003_frame_stiffness=soft_thickness=60um]"
    )
    assert lines[2].startswith(f"{path}: --set {STIFFNESS}=1e8: {STIFFNESS}: expected a positive stiffness")
    assert len(lines) == 3
    case = validate_variants(path, ["name=other"], variants(parse_params([f"{THICKNESS}=40 um,60 um"])))
    assert case.name == "other" and case.geometry.layers[0].thickness == pytest.approx(40e-6)


# --- status and outputs from a run's files ----------------------------------


def test_run_status(tmp_path):
    assert run_status(tmp_path) == ("pending", None)
    (tmp_path / "series.csv").write_text("step [-]\n0\n")
    assert run_status(tmp_path) == ("incomplete", None)
    (tmp_path / "summary.json").write_text(json.dumps({"status": "completed"}))
    assert run_status(tmp_path) == ("completed", None)
    (tmp_path / "exit_code").write_text("0\n")
    assert run_status(tmp_path) == ("completed", 0)
    (tmp_path / "exit_code").write_text("137\n")  # killed after its summary was written
    assert run_status(tmp_path) == ("failed", 137)


def test_key_outputs_are_taken_over_the_cycling():
    series = {
        "time [s]": [0.0, 0.0, 0.0, 100.0, 200.0],
        "stack_pressure [MPa]": [0.0, 10.0, 20.0, 50.0, 30.0],  # unloaded, preload, preloaded, cycling
        "thickness_change [um]": [0.0, 0.0, 0.0, 3.0, 1.0],
        "cathode_sigma1_max [MPa]": [0.0, 5.0, -1.0, -2.0, -3.0],
        "cathode_sigma3_min [MPa]": [0.0, 0.0, -9.0, -9.0, -9.0],
    }
    assert key_outputs(series) == {
        "stack_pressure_final [MPa]": 30.0,
        "stack_pressure_max [MPa]": 50.0,
        "stack_pressure_min [MPa]": 20.0,
        "thickness_change_max [um]": 3.0,
        "cathode_sigma1_max [MPa]": -1.0,
    }
    assert key_outputs({"time [s]": [0.0, 1.0], "matrix_sigma1_max [MPa]": [0.0, 7.0]}) == {
        "matrix_sigma1_max [MPa]": 7.0
    }
    assert key_outputs({}) == {}


# --- the command: subprocesses, serial only -----------------------------------


@pytest.mark.serial
@pytest.mark.parametrize(
    "param, message",
    [
        (f"{STIFFNESS}", f"--param {STIFFNESS}: expected KEY=V1,V2,..."),
        (f"{STIFFNESS}=1e7 N/m,soft", f"--set {STIFFNESS}=soft: {STIFFNESS}: expected a positive stiffness"),
        ("fixture.frame_stifness=1e7 N/m", "unknown key 'frame_stifness'; did you mean 'frame_stiffness'?"),
        ("geometry.layers.cathod.thickness=1 um", "unknown item name 'cathod'; did you mean 'cathode'?"),
    ],
)
def test_bad_param_exits_2_before_any_run(tmp_path, param, message):
    outdir = tmp_path / "out"
    code, out, err = sweep(write_case(tmp_path), "--param", param, "--param", f"{THICKNESS}=40 um", "-o", outdir)
    assert code == 2 and out == ""
    assert err.startswith("chemomech sweep: ") and message in err
    assert not outdir.exists()


@pytest.mark.serial
def test_bad_options_exit_2(tmp_path):
    path = write_case(tmp_path)
    assert sweep(path)[0] == 2
    assert sweep("--param", "a=1")[0] == 2  # no case
    assert "takes no CASE" in sweep(path, "--collect", tmp_path)[2]
    assert "--jobs is for local runs" in sweep(path, *PARAMS, "--slurm", "--jobs", "2")[2]
    assert "are for --slurm" in sweep(path, *PARAMS, "--partition", "p")[2]
    assert "no sweep.json here" in sweep("--collect", tmp_path)[2]
    with pytest.raises(SystemExit):
        sweep(path, *PARAMS, "--jobs", "0")  # argparse: exit 2
    assert not (tmp_path / "results").exists()


@pytest.fixture(scope="module")
def two_by_two(tmp_path_factory):
    """A 2 x 2 sweep (frame stiffness x cathode thickness), two runs at a time."""
    directory = tmp_path_factory.mktemp("sweep")
    outdir = directory / "out"
    code, out, err = sweep(write_case(directory), *PARAMS, "--jobs", "2", "-o", outdir)
    return code, out, err, outdir


@pytest.mark.serial
def test_two_by_two_sweep_runs_and_summarises(two_by_two):
    code, out, err, outdir = two_by_two
    assert code == 0, err
    assert "4 runs: 4 completed" in out
    assert sorted(path.name for path in (outdir / "runs").iterdir()) == NAMES
    rows = read_rows(outdir / "summary.csv")
    assert list(rows[0])[:7] == ["run", STIFFNESS, THICKNESS, "status", "exit_code [-]", "steps [-]", "wall_time [s]"]
    assert {"stack_pressure_max [MPa]", "thickness_change_max [um]", "separator_sigma1_max [MPa]"} <= set(rows[0])
    assert [row["run"] for row in rows] == NAMES
    assert [(row[STIFFNESS], row[THICKNESS]) for row in rows] == [
        ("1e7 N/m", "40 um"),
        ("1e7 N/m", "60 um"),
        ("1e8 N/m", "40 um"),
        ("1e8 N/m", "60 um"),
    ]
    for row, stiffness in zip(rows, (1e7, 1e7, 1e8, 1e8), strict=True):
        assert (row["status"], row["exit_code [-]"], row["steps [-]"]) == ("completed", "0", "6")
        assert float(row["wall_time [s]"]) > 0
        series = read_series(outdir / "runs" / row["run"] / "series.csv")
        assert float(row["stack_pressure_max [MPa]"]) == pytest.approx(max(series["stack_pressure [MPa]"]))
        assert float(row["stack_pressure_min [MPa]"]) == pytest.approx(20.0, rel=1e-6)  # the preload
        assert float(row["stack_pressure_final [MPa]"]) == pytest.approx(20.0, rel=1e-6)  # fully charged again
        # each row carries its own run's outputs: the spring law P - P0 = k_f dh / A at the peak
        swing = (float(row["stack_pressure_max [MPa]"]) - 20.0) * 1e6
        assert swing == pytest.approx(stiffness * float(row["thickness_change_max [um]"]) * 1e-6 / AREA, rel=1e-6)
    value = {(row[STIFFNESS], row[THICKNESS]): row for row in rows}
    for thickness in ("40 um", "60 um"):  # a stiffer frame: larger pressure swing, smaller thickness change
        soft, stiff = value["1e7 N/m", thickness], value["1e8 N/m", thickness]
        assert float(stiff["stack_pressure_max [MPa]"]) > 3 * float(soft["stack_pressure_max [MPa]"])
        assert float(stiff["thickness_change_max [um]"]) < float(soft["thickness_change_max [um]"])
    for stiffness in ("1e7 N/m", "1e8 N/m"):  # a thicker cathode swells more
        thin, thick = value[stiffness, "40 um"], value[stiffness, "60 um"]
        assert float(thick["thickness_change_max [um]"]) > 1.3 * float(thin["thickness_change_max [um]"])


@pytest.mark.serial
def test_two_by_two_sweep_record_and_figures(two_by_two):
    _, _, _, outdir = two_by_two
    record = json.loads((outdir / "sweep.json").read_text())
    assert record["parameters"] == {STIFFNESS: ["1e7 N/m", "1e8 N/m"], THICKNESS: ["40 um", "60 um"]}
    assert [(run["name"], run["status"], run["exit_code"]) for run in record["runs"]] == [
        (name, "completed", 0) for name in NAMES
    ]
    assert (outdir / record["case_copy"]).read_text() == CASE
    assert (outdir / "runs.tsv").read_text().splitlines()[3] == (
        f"2\t{NAMES[2]}\t{STIFFNESS}=1e8 N/m\t{THICKNESS}=40 um"
    )
    for name in ("sweep_vs_time", "sweep_vs_capacity"):
        image = matplotlib.image.imread(outdir / "figures" / f"{name}.png")
        assert image.shape[0] > 300 and image.shape[1] > 300
        assert image[..., :3].std() > 0.05, f"{name}.png is blank"
        svg = (outdir / "figures" / f"{name}.svg").read_text()
        assert "stack pressure [MPa]" in svg and "thickness change [um]" in svg
        for label in ("frame_stiffness=1e7 N/m, thickness=40 um", "frame_stiffness=1e8 N/m, thickness=60 um"):
            assert label in svg, f"{name}.svg lacks the legend entry {label!r}"


@pytest.mark.serial
def test_collect_rebuilds_summary_and_figures(two_by_two):
    _, _, _, outdir = two_by_two
    table = (outdir / "summary.csv").read_text()
    (outdir / "summary.csv").unlink()
    for path in (outdir / "figures").iterdir():
        path.unlink()
    code, out, _ = sweep("--collect", outdir)
    assert code == 0 and "4 runs: 4 completed" in out
    assert (outdir / "summary.csv").read_text() == table
    assert sorted(path.name for path in (outdir / "figures").iterdir()) == [
        "sweep_vs_capacity.png",
        "sweep_vs_capacity.svg",
        "sweep_vs_time.png",
        "sweep_vs_time.svg",
    ]
    assert sweep(write_case(outdir.parent), *PARAMS, "-o", outdir)[2].endswith(
        "already holds a sweep (sweep.json); choose another -o or remove it\n"
    )


@pytest.mark.serial
def test_failed_run_is_recorded_and_the_sweep_goes_on(tmp_path):
    outdir = tmp_path / "out"
    args = ["--set", "solver.max_cutbacks=0", "--param", "solver.max_newton_iterations=1,25"]
    code, out, _ = sweep(write_case(tmp_path), *args, "-o", outdir)
    assert code == 1
    assert "2 runs: 1 failed, 1 completed" in out
    failed, completed = read_rows(outdir / "summary.csv")
    assert (failed["run"], failed["status"], failed["exit_code [-]"]) == (
        "run_000_max_newton_iterations=1",
        "failed",
        "1",
    )
    assert "solver failure: Newton did not converge" in (outdir / "runs" / failed["run"] / "console.log").read_text()
    assert (completed["status"], completed["exit_code [-]"]) == ("completed", "0")
    assert float(completed["stack_pressure_max [MPa]"]) > 100


@pytest.mark.serial
@pytest.mark.skipif(not MPIEXEC.is_file(), reason="no mpiexec next to this Python")
def test_runs_on_np_ranks(tmp_path):
    outdir = tmp_path / "out"
    code, _, err = sweep(write_case(tmp_path), "--param", f"{THICKNESS}=60 um", "--np", "2", "-o", outdir)
    assert code == 0, err
    summary = json.loads((outdir / "runs" / "run_000_thickness=60um" / "summary.json").read_text())
    assert summary["ranks"] == 2 and summary["status"] == "completed"


@pytest.mark.serial
def test_slurm_script(tmp_path):
    outdir = tmp_path / "out"
    code, out, _ = sweep(
        write_case(tmp_path), *PARAMS, "--slurm", "--np", "4", "--time", "00:20:00", "--account", "acme", "-o", outdir
    )
    script = outdir / "sweep.slurm"
    assert code == 0 and f"sbatch {script.resolve()}" in out and f"chemomech sweep --collect {outdir}" in out
    assert not list((outdir / "runs").iterdir())  # nothing run
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    text = script.read_text()
    for line in ("#SBATCH --array=0-3", "#SBATCH --ntasks=4", "#SBATCH --time=00:20:00", "#SBATCH --account=acme"):
        assert f"\n{line}\n" in text
    assert "--partition" not in text
    assert 'srun --mpi=pmi2 "$python" -m chemomech run "$case" "${settings[@]}" -o "$run" --quiet' in text
    assert "export XDG_CACHE_HOME=" in text

    # Array task 2 with an srun that just runs its command: the run is row 2 of runs.tsv.
    env = fake_slurm.install(tmp_path / "bin", MPIEXEC.parent) | {
        "SLURM_ARRAY_JOB_ID": "77",
        "SLURM_ARRAY_TASK_ID": "2",
        "TMPDIR": str(tmp_path),
    }
    task = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert task.returncode == 0, task.stderr
    run = outdir / "runs" / NAMES[2]
    assert (run / "exit_code").read_text() == "0\n"
    resolved = json.loads((run / "case.resolved.json").read_text())
    assert resolved["fixture"]["frame_stiffness"] == 1e8
    assert resolved["geometry"]["layers"][0]["thickness"] == pytest.approx(40e-6)
    assert not (tmp_path / "chemomech-cache-77_2").exists()  # the private cache is removed

    code, out, _ = sweep("--collect", outdir)
    assert code == 1 and "4 runs: 3 pending, 1 completed" in out
    statuses = [row["status"] for row in read_rows(outdir / "summary.csv")]
    assert statuses == ["pending", "pending", "completed", "pending"]


@pytest.mark.serial
@pytest.mark.skipif(not MPIEXEC.is_file(), reason="no mpiexec next to this Python")
def test_sweep_refuses_to_run_under_mpiexec(tmp_path):
    outdir = tmp_path / "out"
    command = [str(MPIEXEC), "-n", "2", sys.executable, "-m", "chemomech", "sweep", str(write_case(tmp_path))]
    result = subprocess.run([*command, *PARAMS, "-o", str(outdir)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.count("run the sweep itself without mpiexec") == 1
    assert not outdir.exists()
