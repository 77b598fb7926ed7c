#!/usr/bin/env bash
# bench/ab_cpu.py compares two builds' kernel benchmarks in paired rounds: one row per measurement
# with the median of the per-round ratios (a smoke size; no speed is checked), and it refuses
# a run that compares nothing.
set -euo pipefail
bench=$1
src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cp "$bench" "$out/before"
cp "$bench" "$out/after"
py=${NULLMARK_PYTHON:-/usr/bin/python3}
"$py" "$src/bench/ab_cpu.py" kernels "$out/before" "$out/after" --rounds 2 --threads 1 --batch 2 --only "digit conv2" \
  >"$out/log" 2>"$out/err" || { cat "$out/log" "$out/err"; exit 1; }
rows=$(grep -c "^digit conv2 .*x   (" "$out/log" || true)
[ "$rows" = 3 ] || { echo "expected the three passes of digit conv2, got $rows rows:"; cat "$out/log"; exit 1; }
grep -q "round 2 of 2 done" "$out/err" || { echo "no progress lines"; cat "$out/err"; exit 1; }
if "$py" "$src/bench/ab_cpu.py" kernels "$out/before" "$out/after" --rounds 1 --threads 1 --batch 2 --only "no such layer" \
  >"$out/log" 2>"$out/err"; then
  echo "compared nothing and succeeded"; exit 1
fi
grep -q "no measurement appears in both" "$out/err" || { cat "$out/err"; exit 1; }
echo ok
