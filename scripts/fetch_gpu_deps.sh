#!/usr/bin/env bash
# Downloads the Debian packages nullmark builds against into .deps/ (ignored by git), for a GPU
# machine that has CUDA, CMake and PyTorch but none of these libraries and no network: copy .deps/
# there with the repository (15 MB); bench/gpu_validate.sh unpacks the packages under /tmp and builds
# against them.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(libyaml-cpp-dev libyaml-cpp0.7 catch2 libsodium-dev libsodium23 libopenblas-openmp-dev libopenblas0-openmp
          libgfortran5 nlohmann-json3-dev libcli11-dev zlib1g-dev libssl-dev libssl3
          libonnx-dev libonnx1 libonnxifi libprotobuf-dev libprotobuf32 libprotobuf-lite32)
rm -rf .deps
mkdir -p .deps
# apt-get download needs an up-to-date package index; a root run without one refreshes it.
(cd .deps && apt-get download "${packages[@]}") ||
  { [ "$(id -u)" = 0 ] && apt-get update -qq && (cd .deps && apt-get download "${packages[@]}"); }
echo "downloaded $(ls .deps/*.deb | wc -l) packages ($(du -sh .deps | cut -f1)) into .deps/"
