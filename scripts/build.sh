#!/usr/bin/env bash
# Configures and builds nullmark in build/ (Release). The CUDA backend is built when nvcc is found
# (NULLMARK_CUDA=AUTO); pass e.g. -DNULLMARK_CUDA=OFF as arguments to change CMake options.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/local/cuda/bin/nvcc ] && export PATH="/usr/local/cuda/bin:$PATH"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build -j "$(nproc)"
