"""A real 2-rank run whose rank 1 alone fails (an I/O error while recording
step 3) ends every rank within 30 s, exit code 1, one clear message, and
the series of the converged steps intact."""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from chemomech.output.series import read_series

MPIEXEC = Path(sys.executable).with_name("mpiexec")
CASES = Path(__file__).resolve().parents[1] / "cases"

FAIL_ON_RANK_1 = textwrap.dedent(
    """\
    import sys
    from chemomech.dolfinx_compat import MPI
    from chemomech.solve import observe

    record = observe.StepObserver.record

    def failing_record(self, state, stats):
        if MPI.COMM_WORLD.rank == 1 and self.steps == 3:
            raise OSError("disk quota exceeded (injected on rank 1)")
        record(self, state, stats)

    observe.StepObserver.record = failing_record
    from chemomech.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


@pytest.mark.serial
@pytest.mark.skipif(not MPIEXEC.exists(), reason="no mpiexec beside the Python interpreter")
def test_error_on_rank_1_only_ends_the_run(tmp_path):
    script = tmp_path / "fail_on_rank_1.py"
    script.write_text(FAIL_ON_RANK_1)
    outdir = tmp_path / "out"
    command = [str(MPIEXEC), "-n", "2", sys.executable, str(script), "run", str(CASES / "pellet_S_LTO_gap.yaml")]
    start = time.monotonic()
    result = subprocess.run(
        [*command, "-o", str(outdir), "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    elapsed = time.monotonic() - start
    assert result.returncode == 1, result.stderr
    assert elapsed < 30.0
    messages = [line for line in result.stderr.splitlines() if line.startswith("chemomech run:")]
    assert len(messages) == 1, result.stderr
    assert "error on rank 1: OSError: disk quota exceeded" in messages[0]
    assert "Traceback" not in result.stderr
    assert "OSError" in (outdir / "crash-rank1.log").read_text()
    steps = read_series(outdir / "series.csv")["step [-]"]
    assert steps[:3] == [0.0, 1.0, 2.0]  # every step converged before the failure is kept
