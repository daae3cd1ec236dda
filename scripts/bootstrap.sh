#!/usr/bin/env bash
# Install every Debian 12 package that leefbaar's build, tests, demo and
# benchmarks need. Idempotent: when everything is present it does nothing.
# Usage: scripts/bootstrap.sh [--bench]   (--bench adds the benchmark peers)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libopenmpi-dev openmpi-bin
  libhdf5-openmpi-dev hdf5-tools
  libgdal-dev gdal-bin
  libboost-dev
  catch2
  libtomlplusplus-dev
  libcli11-dev
  nlohmann-json3-dev
  librandom123-dev
  libxxhash-dev
  libpng-dev
  zlib1g-dev
  chromium
  clang-format
  python3
  slurm-wlm munge
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(grass-core python3-scipy python3-gdal python3-h5py python3-numpy python3-matplotlib libopenblas-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "bootstrap: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
