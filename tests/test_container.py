"""The container image: built here with buildah, it runs the default case on 2 MPI ranks.

``containers/build.sh`` builds ``containers/Containerfile`` offline (pip
installs from pre-downloaded wheels alone) on a local debootstrap base image;
the default case (the Makefile's CASE) then runs inside the image with
``mpiexec -n 2`` under ``buildah run --isolation chroot`` and outside it with
this environment's ``mpiexec -n 2``. The two series must agree to solver
tolerance: the image holds the same stack, built for another Python. A job
script of ``chemomech slurm --container IMAGE --mpi image`` then runs in the
image too (``apptainer exec`` played by ``buildah run``), and again when
requeued, from its checkpoint.

Opt-in (minutes, root and buildah needed): ``make test-container``.
"""

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import fake_slurm
import pytest
from test_slurm import script_for

pytestmark = [pytest.mark.container, pytest.mark.serial]

ROOT = Path(__file__).resolve().parents[1]
CASE = "cases/pellet_S_LTO_gap.yaml"  # the Makefile's CASE
IMAGE = "localhost/chemomech:test"
RTOL = 1e-6
NOT_COMPARED = ("newton_iterations [-]", "krylov_iterations [-]")  # solver work, not results
BIN = Path(sys.executable).parent

# `apptainer exec --bind P... IMAGE CMD...` as buildah runs it: IMAGE BIND... -- CMD...
IMAGE_RUNNER = """#!/bin/bash
image=$1; shift
volumes=()
while [ "$1" != -- ]; do volumes+=(-v "$1:$1"); shift; done; shift
container=$(buildah from "$image")
trap 'buildah rm "$container" > /dev/null' EXIT
buildah run --isolation chroot --user 0:0 --env XDG_CACHE_HOME="$XDG_CACHE_HOME" "${volumes[@]}" "$container" -- "$@"
"""

_missing = [tool for tool in ("buildah", "debootstrap") if shutil.which(tool) is None]
if _missing:
    pytest.skip(f"needs {' and '.join(_missing)} (make test-container installs them)", allow_module_level=True)
if os.geteuid() != 0:
    pytest.skip("buildah builds with chroot isolation as root only here", allow_module_level=True)


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **{"timeout": 1800, **kwargs})
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def _series(path: Path) -> dict[str, list[float]]:
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {name: [float(row[name]) for row in rows] for name in rows[0]}


@pytest.fixture(scope="module")
def image():
    subprocess.run(["buildah", "rmi", IMAGE], capture_output=True)  # left by an interrupted run
    start = time.perf_counter()
    _run([str(ROOT / "containers" / "build.sh"), IMAGE], cwd=ROOT, timeout=3600)
    built = time.perf_counter() - start
    size = json.loads(_run(["buildah", "images", "--json", IMAGE]).stdout)[0]["size"]
    print(f"image {IMAGE}: built in {built:.0f} s, {size} (uncompressed)")
    yield IMAGE
    subprocess.run(["buildah", "rmi", IMAGE], capture_output=True)


def test_image_configuration(image):
    config = json.loads(_run(["buildah", "inspect", "--type", "image", image]).stdout)["OCIv1"]["config"]
    assert config["User"] == "chemomech"
    assert config["Entrypoint"] == ["chemomech"]
    assert "/opt/chemomech/venv/bin" in next(v for v in config["Env"] if v.startswith("PATH="))


def test_default_case_in_image_matches_outside(image, tmp_path):
    outside, mounted = tmp_path / "outside", tmp_path / "image"
    mounted.mkdir()
    mounted.chmod(0o777)  # the image's user (uid 1000) writes here
    start = time.perf_counter()
    _run([str(BIN / "mpiexec"), "-n", "2", str(BIN / "chemomech"), "run", CASE, "-o", str(outside), "-q"], cwd=ROOT)
    outside_time = time.perf_counter() - start

    container = _run(["buildah", "from", image]).stdout.strip()
    try:
        start = time.perf_counter()
        command = ["mpiexec", "-n", "2", "chemomech", "run", f"/opt/chemomech/{CASE}", "-o", "/out/run", "-q"]
        _run(["buildah", "run", "--isolation", "chroot", "-v", f"{mounted}:/out", container, "--", *command])
        inside_time = time.perf_counter() - start
    finally:
        subprocess.run(["buildah", "rm", container], capture_output=True)
    inside = mounted / "run"
    print(f"default case on 2 ranks: {inside_time:.0f} s in the image, {outside_time:.0f} s outside")

    assert inside.stat().st_uid == 1000  # written by the image's non-root user
    assert (inside / "case.yaml").read_text() == (outside / "case.yaml").read_text()  # the same case
    summary = json.loads((inside / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["ranks"] == 2
    assert sorted(p.name for p in (inside / "figures").glob("fields_*.png"))  # off-screen rendering works
    assert sorted(p.name for p in (inside / "figures").iterdir()) == sorted(
        p.name for p in (outside / "figures").iterdir()
    )

    a, b = _series(inside / "series.csv"), _series(outside / "series.csv")
    assert list(a) == list(b) and len(a["step [-]"]) == len(b["step [-]"]) > 1
    worst = 0.0
    for name in a:
        if name in NOT_COMPARED:
            continue
        # relative to the column's largest value, or to one output unit (1 MPa, 1 um, ...) for a column
        # that is zero to solver tolerance, such as the thickness change under a constant gap
        scale = max(*map(abs, a[name] + b[name]), 1.0)
        assert a[name] == pytest.approx(b[name], rel=RTOL, abs=RTOL * scale), name
        worst = max([worst, *(abs(x - y) / scale for x, y in zip(a[name], b[name], strict=True))])
    print(f"series agree: largest difference {worst:.1e} of the column's largest value")


def test_job_script_runs_mpiexec_in_the_image(image, tmp_path):
    script, _ = script_for(tmp_path, "--ranks-per-node", "2", "--container", image, "--mpi", "image")
    runner = tmp_path / "image-runner"
    runner.write_text(IMAGE_RUNNER)
    runner.chmod(0o755)
    env = fake_slurm.install(tmp_path / "bin", BIN, runner) | {"SLURM_JOB_ID": "43"}
    outdir = tmp_path / "out"
    for start in ("-o", "--restart"):  # the job, then the job requeued
        _run(["bash", str(script)], env=env)
        call = fake_slurm.calls(tmp_path / "bin")[-1]
        assert "mpiexec -launcher fork -n 2 /opt/chemomech/venv/bin/chemomech run" in call
        assert f"{start} {outdir} --quiet" in call
        summary = json.loads((outdir / "summary.json").read_text())
        assert summary["status"] == "completed" and summary["ranks"] == 2
        assert summary["versions"]["python"].startswith("3.13")  # the image's Python ran it
    assert summary["restarted_after_step"] > 0
    assert not (outdir / ".form-cache-43").exists()


def _section(definition: str, name: str) -> str:
    """The body of section ``%name`` of an Apptainer definition."""
    lines = definition.split(f"\n%{name}\n", 1)[1].split("\n%", 1)[0].splitlines()
    return "\n".join(line.strip() for line in lines if line.strip())


def _shell(container: str, script: str) -> str:
    return _run(["buildah", "run", "--isolation", "chroot", container, "--", "sh", "-c", script]).stdout


def test_apptainer_definition_builds_the_same_environment(image):
    """chemomech.def's %files and %post, carried out by buildah on the same base, give the same installation."""
    definition = (ROOT / "containers" / "chemomech.def").read_text()
    base = next(line.split()[1] for line in definition.splitlines() if line.startswith("From:"))
    environment = _section(definition, "environment")
    container = _run(["buildah", "from", "--pull=never", f"docker.io/library/{base}"]).stdout.strip()
    try:
        for entry in _section(definition, "files").splitlines():
            source, target = entry.split()
            _run(["buildah", "copy", "--quiet", container, str(ROOT / source), target])
        _shell(container, _section(definition, "post").replace("{{ WHEELS }}", "containers/wheels"))
        _shell(container, f"{environment}\n{_section(definition, 'test')}")
        from_definition = _shell(container, f"{environment}\npip freeze --all")
    finally:
        subprocess.run(["buildah", "rm", container], capture_output=True)
    container = _run(["buildah", "from", image]).stdout.strip()
    try:
        from_containerfile = _shell(container, "pip freeze --all")
    finally:
        subprocess.run(["buildah", "rm", container], capture_output=True)
    assert "dolfinx-solver-real==" in from_definition and "chemomech @ file:///src" in from_definition
    assert from_definition == from_containerfile
