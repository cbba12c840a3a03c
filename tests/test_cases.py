"""Every case in cases/ runs serially and on 2 ranks with the same series.

These tests start their own MPI jobs, so they run in the serial pass only.
The default pass runs a cycling case through its first cycle (the later
cycles repeat the same code path); the long pass (``--long``) runs every
cycle, and the cases too big for the default pass (LONG_CASES: over a
minute per run here, or a cell whose sibling takes its code paths).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chemomech.case import load_case
from chemomech.output.series import read_series
from simulate import assert_series_agree

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "cases").glob("*.yaml"))
MPIEXEC = Path(sys.executable).parent / "mpiexec"
REQUIRED = ["time [s]", "capacity [mAh/g_S]", "lithiation [-]", "newton_iterations [-]"]
STACK_REQUIRED = ["stack_pressure [MPa]", "force [N]", "plunger_displacement [um]", "thickness_change [um]"]


def run(case: Path, outdir: Path, ranks: int, settings: tuple[str, ...] = ()) -> None:
    command = [sys.executable, "-m", "chemomech", "run", str(case), "-o", str(outdir), "--quiet"]
    command += [f"--set={setting}" for setting in settings]
    if ranks > 1:
        command = [str(MPIEXEC), "-n", str(ranks), *command]
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]


def cycles(case: Path) -> int:
    return load_case(case).lithiation.cycles


CYCLING = [case for case in CASES if cycles(case) > 1]
LONG_CASES = {
    "rve_S_LPSCl_3d",  # about 190 particles, 100k dofs: 2.5 min serially
    "cell_S_In_electrode_thick",  # 62 steps of a 150 um cathode at 15 um elements: 75 s serially
    "rve_S_LPSCl_2d_fracture",  # phase field: 735 Newton steps in 129 passes, 25 s serially
    "rve_Li2S_LPSCl_2d_fracture",  # phase field: cracking takes up to 187 passes a step, 32 s serially
    "stack_separator_fracture_full",  # phase field: an unstable crack, 722 passes in one step, 95 s CPU serially
    # Cycling cells whose siblings in the default pass take the same code paths (about a minute each):
    "cell_S_LTO_gap",  # = cell_S_LTO_compaction_gap with a dense separator; LTO, gap: pellet_S_composite_LTO
    "cell_S_Li_gap",  # creeping Li: cell_S_Li_spring; under a gap: pellet_S_Li_compaction_gap
    "cell_S_In_gap",  # = cell_S_In_spring under a gap
}


def check_case(case: Path, tmp_path: Path, settings: tuple[str, ...] = ()) -> None:
    """Same series on 1 and 2 ranks; the outputs of the 2-rank run, figures included (drawn once:
    the serial run leaves them out, they are drawn from the series on rank 0 after the run)."""
    run(case, tmp_path / "serial", 1, (*settings, "outputs.figures=false"))
    run(case, tmp_path / "mpi", 2, settings)
    serial = read_series(tmp_path / "serial" / "series.csv")
    parallel = read_series(tmp_path / "mpi" / "series.csv")
    assert_series_agree(serial, parallel, rtol=1e-6)

    summary = json.loads((tmp_path / "mpi" / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["ranks"] == 2
    assert {"dolfinx", "petsc", "chemomech", "mpi_library"} <= summary["versions"].keys()
    required = REQUIRED + (STACK_REQUIRED if "stack_pressure [MPa]" in serial else [])
    assert set(required) <= serial.keys()
    for name in ("case.yaml", "case.resolved.json", "fields.xdmf", "figures/signals_vs_time.svg", "report.html"):
        assert (tmp_path / "mpi" / name).is_file(), name
    assert not any(warning.startswith("figures not written") for warning in summary["warnings"])


def tiered(case: Path):
    """The case as a test parameter, marked long if it is one of LONG_CASES."""
    return pytest.param(case, id=case.stem, marks=[pytest.mark.long] if case.stem in LONG_CASES else [])


@pytest.mark.serial
@pytest.mark.parametrize("case", [tiered(case) for case in CASES])
def test_case_agrees_between_one_and_two_ranks(case, tmp_path):
    check_case(case, tmp_path, ("lithiation.cycles=1",) if case in CYCLING else ())


@pytest.mark.serial
@pytest.mark.long
@pytest.mark.parametrize("case", CYCLING, ids=[c.stem for c in CYCLING])
def test_every_cycle_agrees_between_one_and_two_ranks(case, tmp_path):
    check_case(case, tmp_path)
