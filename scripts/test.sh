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
# Tests run in parallel; each waits passively in OpenMP (ENVIRONMENT in tests/CMakeLists.txt).
ctest --output-on-failure -j "$(nproc)" "${exclude[@]}"
cd ..
# Every parser of outside input under libFuzzer, briefly: a smoke run that any finding fails.
scripts/fuzz.sh 5
