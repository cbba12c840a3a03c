#!/usr/bin/env bash
# Build the chemomech image from containers/Containerfile on a machine with
# buildah and debootstrap but no Docker engine and no access to a container
# registry (`make container` runs this; see containers/README.md):
#
# 1. the wheels of chemomech's dependencies, in the versions of the project's
#    .venv, for the image's Python (3.13) and glibc, are downloaded into WHEELS
#    (default containers/wheels, inside the build context) unless present;
# 2. the base image named in the Containerfile (debian:trixie-slim) is made
#    with debootstrap, unless the local image store has it; the root file
#    system is kept as a tarball in CACHE (default ~/.cache/chemomech-container)
#    so that the next build on this machine skips debootstrap;
# 3. buildah builds the image from those wheels alone (offline pip), with
#    chroot isolation, and tags it IMAGE (default localhost/chemomech:latest).
#
#   containers/build.sh [IMAGE]       all three steps
#   containers/build.sh --wheels-only  step 1 alone (for an offline build elsewhere)
set -euo pipefail
cd "$(dirname "$0")/.."

wheels_only=false
if [ "${1:-}" = --wheels-only ]; then wheels_only=true; shift; fi
image=${1:-localhost/chemomech:latest}
base=docker.io/library/debian:trixie-slim
suite=trixie
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=${CACHE:-$HOME/.cache/chemomech-container}
wheels=${WHEELS:-containers/wheels}
pip=${PIP:-.venv/bin/python -m pip}
image_python=3.13
image_glibc=41  # Debian trixie: glibc 2.41
say() { echo "containers/build.sh: $*" >&2; }

needs() {
    command -v "$1" >/dev/null || { say "needs $1 (Debian: apt-get install buildah debootstrap)"; exit 2; }
}

# 1. The wheels, pinned to the versions installed in the project's environment.
if [ ! -f "$wheels/.complete" ] || [ pyproject.toml -nt "$wheels/.complete" ]; then
    say "downloading wheels into $wheels"
    mkdir -p "$wheels"
    constraints=$(mktemp)
    $pip freeze --exclude-editable > "$constraints"
    platforms=(--platform manylinux1_x86_64 --platform manylinux2010_x86_64 --platform manylinux2014_x86_64)
    for minor in $(seq 5 "$image_glibc"); do platforms+=(--platform "manylinux_2_${minor}_x86_64"); done
    $pip download --quiet --disable-pip-version-check --dest "$wheels" --constraint "$constraints" \
        --only-binary=:all: --python-version "$image_python" "${platforms[@]}" '.[dolfinx]' setuptools
    rm -f "$constraints"
    touch "$wheels/.complete"
fi

$wheels_only && exit 0
needs buildah

# 2. The base image: a minimal Debian root file system, configured as the
#    official slim image is (no documentation, apt sources with security updates).
make_rootfs_tarball() {
    local root
    needs debootstrap
    root=$(mktemp -d)
    debootstrap --variant=minbase "$suite" "$root" "$mirror" >&2
    cat > "$root/etc/dpkg/dpkg.cfg.d/slim" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
DPKG
    rm -f "$root/etc/apt/sources.list"
    cat > "$root/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    mkdir -p "$cache"
    tar --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
        -C "$root" -cf "$1.part" .
    mv "$1.part" "$1"
    rm -rf "$root"
}

if ! buildah inspect --type image "$base" >/dev/null 2>&1; then
    tarball=$cache/debian-$suite-minbase.tar
    if [ ! -f "$tarball" ]; then
        say "making the base image $base with debootstrap"
        make_rootfs_tarball "$tarball"
    fi
    say "importing $tarball as $base"
    container=$(buildah from scratch)
    buildah add --quiet "$container" "$tarball" / >/dev/null
    buildah config --cmd /bin/bash --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$container"
    buildah commit --quiet --rm "$container" "$base" >/dev/null
fi

# 3. The image.
say "building $image"
buildah bud --isolation chroot --pull=never --build-arg WHEELS="$wheels" \
    -f containers/Containerfile -t "$image" .
