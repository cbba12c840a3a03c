"""Dead or broken form-compiler cache entries do not break later runs."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chemomech import form_cache

CASE = """
geometry:
  type: inclusion
  dimension: axisymmetric
  inclusion_radius: 5 um
  outer_radius: 15 um
  inclusion_material: sulfur
  matrix_material: Li6PS5Cl
  mesh_size: 4 um
lithiation:
  protocol: [{step: discharge, rate: 1 C, until_xi: 0.2}]
outputs: {fields: false, figures: false}
solver: {max_xi_step: 0.2}
"""


def fake_entry(directory: Path, name: str, *, marker: bool, library: bytes | None, age: float = 0.0) -> Path:
    claim = directory / f"{name}.c"
    claim.write_text("/* generated */")
    if marker:
        claim.with_suffix(".c.cached").touch()
    if library is not None:
        (directory / f"{name}.cpython-312-x86_64-linux-gnu.so").write_bytes(library)
    stamp = time.time() - age
    os.utime(claim, (stamp, stamp))
    return claim


def test_repair_removes_dead_claims_and_broken_libraries(tmp_path):
    good = fake_entry(tmp_path, "good", marker=True, library=b"\x7fELF rest")
    compiling = fake_entry(tmp_path, "compiling", marker=False, library=None, age=10.0)
    dead = fake_entry(tmp_path, "dead", marker=False, library=None, age=3600.0)
    truncated = fake_entry(tmp_path, "truncated", marker=True, library=b"")
    missing = fake_entry(tmp_path, "missing", marker=True, library=None)
    removed = form_cache.repair(tmp_path)
    assert good.exists() and compiling.exists()  # a concurrent compile is left alone
    assert not dead.exists() and not truncated.exists() and not missing.exists()
    assert not list(tmp_path.glob("truncated*")) and not list(tmp_path.glob("missing*"))
    assert len(removed) == 3 + 2 + 2  # claim + marker (+ library) each
    assert form_cache.repair(tmp_path / "not-created-yet") == []


@pytest.mark.serial
def test_run_survives_a_killed_compile_and_a_truncated_library(tmp_path):
    """Break every entry of a real cache the way a killed job does; the next run still works."""
    case = tmp_path / "case.yaml"
    case.write_text(CASE)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}

    def run(outdir: str):
        return subprocess.run(
            [sys.executable, "-m", "chemomech", "run", str(case), "-o", str(tmp_path / outdir), "--quiet"],
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
        )

    first = run("first")
    assert first.returncode == 0, first.stderr
    cache = tmp_path / "cache" / "fenics"
    claims = sorted(cache.glob("*.c"))
    assert len(claims) >= 2
    old = time.time() - 3600
    for i, claim in enumerate(claims):
        if i % 2 == 0:  # killed while compiling: a claim with no marker, no library
            claim.with_suffix(".c.cached").unlink()
            for library in cache.glob(claim.stem + ".*.so"):
                library.unlink()
            os.utime(claim, (old, old))
        else:  # killed while writing the library
            for library in cache.glob(claim.stem + ".*.so"):
                library.write_bytes(b"")
    start = time.monotonic()
    second = run("second")
    assert second.returncode == 0, second.stderr
    assert time.monotonic() - start < 300  # recompiled, not waiting for dead claims
    assert (tmp_path / "first" / "series.csv").read_text() == (tmp_path / "second" / "series.csv").read_text()
