# chemomech: the two commands on a fresh machine are `make run` and `make test`.
# Both create the project virtual environment .venv (Python >= 3.12; the
# .python-version file selects 3.12 under pyenv) and install chemomech with
# DOLFINx, PETSc and MPICH from PyPI (the `dolfinx` extra).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NP     ?= 2
CASE   ?= cases/pellet_S_LTO_gap.yaml
OUT    ?= results/$(basename $(notdir $(CASE)))
IMAGE  ?= localhost/chemomech:latest

.PHONY: venv run test test-serial test-mpi test-long benchmark benchmark-rve container container-wheels test-container clean

# An editable install leaves chemomech's own modules uncompiled. Where
# PYTHONDONTWRITEBYTECODE is set (container images, CI, some clusters) every
# process would then compile its ~90 modules again: 0.1 s of each rank's
# start. compileall writes the bytecode once, and again for changed modules only.
venv: $(STAMP)
	@$(BIN)/python -m compileall -q chemomech

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "chemomech needs Python >= 3.12; set PYTHON=python3.12")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dolfinx,test]'
	touch $(STAMP)

## Run the default case on $(NP) MPI ranks into results/
run: venv
	$(BIN)/mpiexec -n $(NP) $(BIN)/chemomech run $(CASE) -o $(OUT)

## Whole test suite, serially and then under mpiexec -n 2
test: test-serial test-mpi

test-serial: venv
	$(BIN)/python -m pytest -q

# A rank that dies while the other waits in a collective call would hang:
# the MPI pass is bounded in time.
test-mpi: venv
	timeout 1800 $(BIN)/mpiexec -n 2 $(BIN)/python -m pytest -q -m "not serial and not container" \
		|| { cat "$${TMPDIR:-/tmp}/chemomech-pytest-rank1.log"; exit 1; }

## Tests of over a minute each (marked long: every cycle of the cell cases),
## serially and under mpiexec -n 2; .ci/run adds them when time allows.
## pytest exits 5 when a pass selects no test.
test-long: venv
	$(BIN)/python -m pytest -q --long -m long
	timeout 3600 $(BIN)/mpiexec -n 2 $(BIN)/python -m pytest -q --long -m "long and not serial"; \
		status=$$?; [ $$status = 0 ] || [ $$status = 5 ] \
		|| { cat "$${TMPDIR:-/tmp}/chemomech-pytest-rank1.log"; exit 1; }

## The container image (containers/Containerfile) with buildah, no Docker
## engine or registry needed; see containers/README.md
container: venv
	containers/build.sh $(IMAGE)

## The wheels for an offline image build, in containers/wheels
container-wheels: venv
	containers/build.sh --wheels-only

## Build the image and run the default case in it on 2 ranks (opt-in: minutes;
## installs buildah and debootstrap with apt-get where they are missing)
test-container: venv
	command -v buildah >/dev/null && command -v debootstrap >/dev/null \
		|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah debootstrap; }
	$(BIN)/python -m pytest -q -rP -m container tests/test_container.py

benchmark: venv
	$(BIN)/python benchmarks/stack_scaling.py $(BENCH_ARGS)

## Meshing and Newton-step time of 3D particle RVEs (10, 30, 100 particles) on 1 and 2 ranks
benchmark-rve: venv
	$(BIN)/python benchmarks/rve_scaling.py $(BENCH_ARGS)

clean:
	rm -rf results benchmarks/out
