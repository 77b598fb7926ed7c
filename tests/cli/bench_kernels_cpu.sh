#!/usr/bin/env bash
# bench_kernels_cpu runs every pass of every shape, convolutions (direct and Winograd) and the
# memory-bound passes of the residual blocks, and records each measurement (a smoke size: it is a benchmark, so no speed is
# checked here), and refuses a bad argument.
set -euo pipefail
bench=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$bench" --threads 1 --reps 1 --batch 2 --json "$out/k.json" >"$out/log" 2>&1 || { cat "$out/log"; exit 1; }
python3 - "$out/k.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = d["results"]
assert d["batch"] == 2 and d["threads"] == 1 and d["sgemm_gflops"] > 0, d
passes = {(r["layer"], r["pass"]) for r in rows}
assert len(rows) == 54 and len(passes) == 54, len(rows)
conv = [r for r in rows if "gflops" in r]
memory = [r for r in rows if "gbytes_per_s" in r]
assert len(conv) == 36 and all(r["ms"] > 0 and r["gflops"] > 0 for r in conv)
winograd = {(r["layer"], r["pass"]) for r in conv if "winograd" in r["layer"]}
assert len(winograd) == 9, winograd
assert {r["pass"] for r in conv} == {"forward", "input gradient", "weight gradient"}
assert len(memory) == 18 and all(r["ms"] > 0 and r["gbytes_per_s"] > 0 for r in memory)
assert {r["pass"] for r in memory} == {"batchnorm+relu forward", "batchnorm+relu backward", "add", "relu forward",
                                       "relu backward", "accumulate"}
PY
if "$bench" --reps 0 >"$out/bad" 2>&1; then echo "--reps 0 was accepted"; exit 1; fi
grep -q "reps" "$out/bad" || { cat "$out/bad"; exit 1; }
echo ok
