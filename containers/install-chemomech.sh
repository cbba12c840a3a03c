#!/bin/sh
# Install chemomech with its full stack (the `dolfinx` extra: DOLFINx, PETSc,
# petsc4py, mpi4py, MPICH) into a new virtual environment. Shared by the
# Containerfile (build stage) and chemomech.def, so that both images hold the
# same installation.
#
#   install-chemomech.sh SRC VENV [WHEELS]
#
# SRC: the chemomech source tree. WHEELS (optional): a directory of
# pre-downloaded wheels (`make container-wheels`); given, pip installs from it
# alone (--no-index) and needs no network. CA_BUNDLE (environment, optional):
# a CA file pip should trust (a build host behind a TLS-inspecting proxy).
set -eu
src=$1
venv=$2
wheels=${3:-}

python3 -m venv "$venv"
set -- --no-cache-dir --disable-pip-version-check
if [ -n "$wheels" ]; then
    [ -d "$wheels" ] || { echo "install-chemomech.sh: no wheel directory $wheels" >&2; exit 2; }
    set -- "$@" --no-index --find-links "$wheels"
fi
if [ -n "${CA_BUNDLE:-}" ]; then
    set -- "$@" --cert "$CA_BUNDLE"
fi
"$venv/bin/pip" install "$@" "$src[dolfinx]"
