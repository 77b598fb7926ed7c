#!/usr/bin/env bash
# README command (b), also run by CI: install dependencies, build with warnings as errors, run the suite.
# GPU tests (label "cuda") run only where a CUDA device is visible; elsewhere CTest reports them as
# not run, never as passed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DNULLMARK_WERROR=ON
cd build
exclude=()
if ! ./nullmark info | grep -q "^cuda: .*sm_"; then
  echo "test: no CUDA device visible: tests labelled 'cuda' are excluded"
  exclude=(-LE cuda)
fi
# Tests run in parallel and each uses OpenMP: passive waiting keeps idle threads from spinning on
# cores another test needs (spinning made a 3 s test take 60 s).
export OMP_WAIT_POLICY=PASSIVE
ctest --output-on-failure -j "$(nproc)" "${exclude[@]}"
