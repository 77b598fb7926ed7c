#!/usr/bin/env bash
# The test suite under AddressSanitizer and UndefinedBehaviorSanitizer: a CPU-only debug build in
# build-sanitize/ (-O1, so the suite still runs in minutes), then every test CTest runs here (unit,
# command-line, and the shared-data ones where ../shared/data exists). Sanitizer reports go to files
# rather than stderr, because the command-line tests capture or discard the program's stderr and some
# expect a non-zero exit; the script fails when any report was written, naming them. (GCC's UBSan
# runtime, a shared library beside ASan's, writes to stderr whatever log_path says; linked with
# -static-libubsan it honours UBSAN_OPTIONS=log_path.)
#
# The direct convolution's block programs ([cuda-emulated]) run here on the CPU with their shared
# memory in a heap buffer of exactly the planned size, so an index past a plan's shared memory or an
# image's edge is a heap-buffer-overflow report: the part of a GPU memory check a CPU can make.
#
#   scripts/sanitize.sh [ctest arguments, e.g. -R conv2d]
# 9 minutes on 2 cores from an empty build-sanitize/ (tests 2-3 of them; 2026-11-26). Not part of CI
# (scripts/test.sh), whose time it would more than double.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
flags="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Debug -DNULLMARK_CUDA=OFF -DNULLMARK_NATIVE=OFF \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined -static-libubsan"
cmake --build build-sanitize -j "$(nproc)"
reports=$(mktemp -d /tmp/nullmark-sanitize.XXXXXX)
export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1"
export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1"
rc=0
(cd build-sanitize && ctest --output-on-failure -j "$(nproc)" -LE cuda "$@") || rc=$?
if compgen -G "$reports/*" >/dev/null; then
  echo "sanitize: reports written (first lines of each below; all in $reports):" >&2
  for f in "$reports"/*; do
    echo "== $f" >&2
    head -20 "$f" >&2
  done
  exit 1
fi
[ $rc -eq 0 ] && echo "sanitize: every test passed with no AddressSanitizer or UndefinedBehaviorSanitizer report"
exit $rc
