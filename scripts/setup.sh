#!/usr/bin/env bash
# Install the Debian packages mapgc needs to build and test — only those that
# are missing, so a prepared machine costs one dpkg-query per package and no
# network.  Non-interactive; uses sudo when not run as root.
set -euo pipefail

# Everything the build, the tests and the scripts need.  Add packages here.
PACKAGES=(
  cmake
  gcc
  make
  ninja-build
  pkg-config
  libcriterion-dev
  libgc-dev
  libxxhash-dev
  graphviz
  libgraphviz-dev
  chromium
  valgrind
)

# Only for the benchmarks (tools/bench/bench.sh): the Go 1.19 twin programs,
# and GNU time for peak RSS (bench.sh gcstress).
BENCH_PACKAGES=(
  golang-1.19-go
  time
)

usage() { echo "usage: scripts/setup.sh [--bench]" >&2; exit 2; }
for arg in "$@"; do
  case $arg in
    --bench) PACKAGES+=("${BENCH_PACKAGES[@]}") ;;
    *) usage ;;
  esac
done

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ $status != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null; then
    echo "setup.sh: missing packages: ${missing[*]}; not root and no sudo" >&2
    exit 1
  fi
  sudo=(sudo)
fi

echo "setup.sh: installing ${missing[*]}"
if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q; then
  echo "setup.sh: apt-get update failed" >&2
  exit 1
fi
if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q "${missing[@]}"; then
  echo "setup.sh: apt-get install ${missing[*]} failed" >&2
  exit 1
fi
echo "setup.sh: installed ${missing[*]}"
