#!/usr/bin/env bash
# README command (b), also run by CI: install dependencies, build with warnings as errors, run the suite.
# GPU tests (label "cuda") run only where a CUDA device is visible; elsewhere CTest reports them as
# not run, never as passed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# ONNX Runtime, for the cross-check of the ONNX exporter, is on PyPI only: it goes into .deps/pydeps
# (no dependencies: the check needs its inference session and Debian's numpy). Where it cannot be
# installed the test is not registered, and CMake says so.
if ! PYTHONPATH=.deps/pydeps /usr/bin/python3 -c "import onnxruntime" 2>/dev/null; then
  /usr/bin/python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --no-deps --target .deps/pydeps onnxruntime ||
    echo "test: onnxruntime could not be installed from PyPI: the ONNX Runtime cross-check will not run"
fi
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
