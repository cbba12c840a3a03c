"""``chemomech slurm``: the job script of one run, with this installation or in a container image.

The scripts must be valid bash with the right launcher line for each mode;
run here with stand-ins for ``srun`` and ``apptainer`` (tests/fake_slurm.py)
they run the case, in a private form-compiler cache, and a second start of
the same job (a requeue) continues from the checkpoint.
"""

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import fake_slurm
from chemomech.cli import main
from chemomech.jobs.run_script import CHECKPOINT
from chemomech.output.series import read_series
from simulate import assert_series_agree
from test_sweep import CASE

BIN = Path(sys.executable).parent
IMAGE = "/images/chemomech.sif"


def slurm(*args) -> tuple[int, str, str]:
    """``chemomech slurm ARGS`` in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["slurm", *map(str, args)])
    return code, out.getvalue(), err.getvalue()


def write_case(directory: Path, text: str = CASE) -> Path:
    path = directory / "tiny.yaml"
    path.write_text(text.replace("outputs: {", "outputs: {checkpoint_every: 2, "))
    return path


def script_for(tmp_path, *args) -> tuple[Path, str]:
    outdir = tmp_path / "out"
    code, out, err = slurm(write_case(tmp_path), "-o", outdir, *args)
    script = outdir / "job.slurm"
    assert code == 0, err
    assert f"submit: sbatch {script}" in out
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    return script, script.read_text()


def test_checkpoint_manifest_name():
    from chemomech.solve.checkpoint import MANIFEST

    assert CHECKPOINT == MANIFEST


def test_host_script(tmp_path):
    script, text = script_for(
        tmp_path, "--nodes", "2", "--ranks-per-node", "4", "--time", "2-00:00:00", "--partition", "short",
        "--set", "solver.max_xi_step=0.25",
    )  # fmt: skip
    for line in (
        "#SBATCH --nodes=2", "#SBATCH --ntasks-per-node=4", "#SBATCH --requeue", "#SBATCH --time=2-00:00:00",
        "#SBATCH --partition=short", f"#SBATCH --output={tmp_path}/out/slurm/%j.out", "#SBATCH --job-name=tiny",
    ):  # fmt: skip
        assert f"\n{line}\n" in text
    assert "--account" not in text and "apptainer" not in text
    assert "settings=(--set solver.max_xi_step=0.25)\n" in text
    run = 'run "$case" "${settings[@]}" "${where[@]}" --quiet'
    assert f"\nsrun --mpi=pmi2 {sys.executable} -m chemomech {run}" in text
    assert 'export XDG_CACHE_HOME="$outdir/.form-cache-${SLURM_JOB_ID:-0}"' in text
    assert (tmp_path / "out" / "slurm").is_dir()  # SLURM does not create it


def test_hybrid_script(tmp_path):
    _, text = script_for(tmp_path, "--nodes", "3", "--ranks-per-node", "2", "--container", IMAGE)
    assert (
        '\nsrun --mpi=pmi2 apptainer exec --bind "$outdir" --bind "$(dirname "$case")" /images/chemomech.sif '
        '/opt/chemomech/venv/bin/chemomech run "$case" "${settings[@]}" "${where[@]}" --quiet'
    ) in text
    assert "APPTAINERENV_LD_PRELOAD" in text  # how to bind the host's MPI
    assert "mpiexec" not in text


def test_premeshed_script_passes_and_binds_the_mesh_directory(tmp_path):
    _, text = script_for(tmp_path, "--ranks-per-node", "2", "--mesh", str(tmp_path / "mesh"))
    assert f"\nmesh=(--mesh {tmp_path / 'mesh'})\n" in text
    assert 'run "$case" "${settings[@]}" "${mesh[@]}" "${where[@]}" --quiet' in text
    _, text = script_for(tmp_path, "--ranks-per-node", "2", "--container", IMAGE, "--mesh", str(tmp_path / "mesh"))
    assert 'apptainer exec --bind "$outdir" --bind "$(dirname "$case")" --bind "${mesh[1]}" /images/' in text


def test_image_script(tmp_path):
    _, text = script_for(tmp_path, "--ranks-per-node", "6", "--container", IMAGE, "--mpi", "image")
    assert (
        '\napptainer exec --bind "$outdir" --bind "$(dirname "$case")" /images/chemomech.sif '
        "/opt/chemomech/venv/bin/mpiexec -launcher fork -n 6 /opt/chemomech/venv/bin/chemomech run "
    ) in text
    assert "\n#SBATCH --nodes=1\n" in text and "srun" not in text


@pytest.mark.parametrize(
    "args, message",
    [
        (["--ranks-per-node", "2", "--mpi", "image"], "--mpi is for --container runs"),
        (["--ranks-per-node", "2", "--nodes", "2", "--container", IMAGE, "--mpi", "image"], "one node"),
        (["--ranks-per-node", "2", "--container", " "], "--container expects an image"),
        (["--ranks-per-node", "2", "--time", "1h"], "--time expects a SLURM time limit"),
    ],
)
def test_bad_options(tmp_path, args, message):
    code, _, err = slurm(write_case(tmp_path), "-o", tmp_path / "out", *args)
    assert code == 2 and message in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args", [["--ranks-per-node", "0"], ["--nodes", "2"], ["--ranks-per-node", "2", "--mpi", "x"]])
def test_bad_arguments_exit_2(tmp_path, args, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["slurm", str(write_case(tmp_path)), "-o", str(tmp_path / "out"), *args])
    assert exit_.value.code == 2
    assert not (tmp_path / "out").exists()


def test_invalid_case(tmp_path):
    path = write_case(tmp_path, CASE.replace("diameter:", "diametre:"))
    code, out, err = slurm(path, "--ranks-per-node", "2", "-o", tmp_path / "out")
    assert code == 2 and f"{path}:6: geometry.diametre" in err and out == ""
    assert not (tmp_path / "out").exists()
    code, _, err = slurm(write_case(tmp_path), "--ranks-per-node", "2", "--set", "solver.max_xi_step=-1")
    assert code == 2 and "solver.max_xi_step" in err


def test_note_without_checkpoints(tmp_path):
    code, out, _ = slurm(write_case(tmp_path), "--ranks-per-node", "1", "-o", tmp_path / "out",
                         "--set", "outputs.checkpoint_every=0")  # fmt: skip
    assert code == 0 and "a requeued job starts afresh" in out


def start(script: Path, tmp_path: Path, job: str) -> subprocess.CompletedProcess:
    """Run ``script`` as SLURM job ``job`` with the stand-ins."""
    env = fake_slurm.install(tmp_path / "bin", BIN) | {"SLURM_JOB_ID": job}
    return subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.serial
def test_host_job_runs_and_a_requeue_restarts(tmp_path):
    script, _ = script_for(tmp_path, "--ranks-per-node", "1")
    outdir = tmp_path / "out"
    job = start(script, tmp_path, "41")
    assert job.returncode == 0, job.stderr
    first = read_series(outdir / "series.csv")
    assert json.loads((outdir / "summary.json").read_text())["status"] == "completed"
    assert (outdir / CHECKPOINT).is_file()
    [call] = fake_slurm.calls(tmp_path / "bin")
    assert f"-o {outdir} --quiet | XDG_CACHE_HOME={outdir}/.form-cache-41" in call
    assert not (outdir / ".form-cache-41").exists()  # removed when the job ended

    requeued = start(script, tmp_path, "41")  # SLURM keeps the job id
    assert requeued.returncode == 0, requeued.stderr
    assert f"--restart {outdir} --quiet" in fake_slurm.calls(tmp_path / "bin")[1]
    summary = json.loads((outdir / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["restarted_after_step"] > 0
    # The same columns and steps, the same values to solver tolerance (GAMG is rebuilt at the restart).
    assert_series_agree(read_series(outdir / "series.csv"), first)


@pytest.mark.serial
def test_image_job_runs_mpiexec(tmp_path):
    script, _ = script_for(tmp_path, "--ranks-per-node", "2", "--container", IMAGE, "--mpi", "image")
    job = start(script, tmp_path, "42")
    assert job.returncode == 0, job.stderr
    [call] = fake_slurm.calls(tmp_path / "bin")
    assert call.startswith(f"apptainer exec --bind {tmp_path}/out --bind {tmp_path} {IMAGE} ")
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["ranks"] == 2
