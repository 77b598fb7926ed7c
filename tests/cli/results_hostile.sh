#!/usr/bin/env bash
# The results generator on broken result files: each is refused with a message naming the file and
# the problem, a non-zero exit, and the page left as it was.
source "$(dirname "$0")/common.sh"
py=${NULLMARK_PYTHON:-/usr/bin/python3}
page="$out/page.md"
printf 'x\n<!-- BEGIN generated: digit-training -->\nold\n<!-- END generated: digit-training -->\n' >"$page"
cp "$page" "$out/page.orig"
seed="$out/r/digit/seed-1"
mkdir -p "$seed"

expect() {  # REGEX: the generator must fail with a message matching it and leave the page alone
  if msg=$("$py" experiments/results/results_page.py --results "$out/r" --page "$page" 2>&1); then
    echo "accepted broken results (expected /$1/)"; exit 1
  fi
  grep -Eq -- "$1" <<<"$msg" || { echo "message does not match /$1/: $msg"; exit 1; }
  cmp -s "$page" "$out/page.orig" || { echo "the page was modified"; exit 1; }
  rm -rf "$out/r"; mkdir -p "$seed"
}

printf '{"command": ["nullmark"], "train": {"epochs": [{"test_accuracy": 0.9' >"$seed/train-owner.json"
expect "seed-1/train-owner.json: not a readable results file"
printf '[1, 2, 3]\n' >"$seed/train-owner.json"
expect "train-owner.json: not a results file written by reproduce.py"
printf '{"command": [], "train": {"epochs": []}}\n' >"$seed/train-owner.json"
expect "train-owner.json: train.epochs is empty"
printf '{"command": [], "train": {"epochs": [{"test_accuracy": "high"}]}}\n' >"$seed/train-clean.json"
expect "train-clean.json: the last epoch has no test_accuracy"
printf '{"command": [], "verify": {"body": {"decision": "maybe"}}}\n' >"$seed/verify-owner.json"
expect "verify-owner.json: (verify.body.decision is 'maybe', not accepted/rejected|missing verify.body.random_keys|missing verify.body.measurements)"
printf '{"command": [], "run": {"findings": {"int8": {"clean": true, "null": 1, "true": 1, "decision": "accepted"}}}}\n' \
  >"$seed/quantize.json"
expect "quantize.json: run.findings.int8.clean is not a number"
mkdir -p "$out/r/digit/stray"
expect "unexpected entry stray"
mkdir -p "$out/r/frontier/digit/lambda-ten"
expect "frontier/digit: unexpected entry lambda-ten"
mkdir -p "$out/r/frontier/digit/raw-lambda10-n6/seed-1"
printf '{"command": [], "failed": {"exit": 1}}\n' >"$out/r/frontier/digit/raw-lambda10-n6/seed-1/train-owner.json"
printf '{"command": [], "run": {"findings": {"FTAL": {"decision": "kept"}}}}\n' \
  >"$out/r/frontier/digit/raw-lambda10-n6/seed-1/finetune.json"
"$py" experiments/results/results_page.py --results "$out/r" --page "$page" >/dev/null ||
  { echo "a diverged frontier training (its attacks ignored) was refused"; exit 1; }
rm -rf "$out/r"; mkdir -p "$seed"; cp "$out/page.orig" "$page"
mkdir -p "$out/r/pattern-size/digit/size-nine"
expect "pattern-size/digit: unexpected entry size-nine"
mkdir -p "$out/r/digit/seed-1"
printf '{"command": [], "run": {"findings": {"signing": {"per_second": "fast"}}}}\n' >"$seed/forgery.json"
expect "forgery.json: (run.findings.signing.per_second is not a number|missing run.findings.cheapest_accepted)"
mkdir -p "$out/r/fuzz"
printf '{"harness": "fuzz_keys", "seconds": true}\n' >"$out/r/fuzz/fuzz_keys.json"
expect "fuzz/fuzz_keys.json: field 'seconds' missing or not int"
mkdir -p "$out/r/fuzz"
printf '{"harness": "fuzz_keys", "seconds' >"$out/r/fuzz/fuzz_keys.json"
expect "fuzz/fuzz_keys.json: "
mkdir -p "$out/r/hostile"
printf '{"target_peak_mb": 500, "cases": [{"case": "x", "exit": 1}]}\n' >"$out/r/hostile/cases.json"
expect "hostile/cases.json: a case without exit, message or peak_rss_mb"
mkdir -p "$out/r/defaults" "$out/r/digit/seed-1"
printf '{"command": [], "train": {"epochs": []}}\n' >"$out/r/digit/seed-1/train-owner.json"
printf '{"command": [], "train": {"epochs": [{"epoch": 1, "test_accuracy": "x"}]}}\n' >"$out/r/defaults/n4.json"
expect "(train-owner.json: train.epochs (is empty|missing or empty)|defaults/n4.json: an epoch lacks test, null or true accuracy)"
# The benchmark tables' generator: a broken record is refused and the page left alone.
printf '<!-- BEGIN generated: cpu-training -->\nold\n<!-- END generated: cpu-training -->\n' >"$out/perf.md"
cp "$out/perf.md" "$out/perf.orig"
mkdir -p "$out/bench"
printf '{"date": "2026-12-06", "nullmark": [1, 2], "pytorch": [1]}\n' >"$out/bench/2026-12-06-cpu-digit.json"
if msg=$("$py" bench/perf_tables.py --results "$out/bench" --page "$out/perf.md" 2>&1); then
  echo "perf_tables accepted a broken record"; exit 1
fi
grep -q "cpu-digit.json: nullmark and pytorch must list one images/s figure (above 0) per round" <<<"$msg" ||
  { echo "perf_tables message: $msg"; exit 1; }
# A round of zero images/s would divide by zero in the per-round ratios.
printf '{"date": "2026-12-06", "nullmark": [1, 2], "pytorch": [1, 0]}\n' >"$out/bench/2026-12-06-cpu-digit.json"
if msg=$("$py" bench/perf_tables.py --results "$out/bench" --page "$out/perf.md" 2>&1); then
  echo "perf_tables accepted a round of 0 images/s"; exit 1
fi
grep -q "cpu-digit.json: nullmark and pytorch must list one images/s figure (above 0) per round" <<<"$msg" ||
  { echo "perf_tables message on a zero round: $msg"; exit 1; }
# A convolution algorithm the CPU does not have.
printf '{"date": "2026-12-06", "model": "object", "machine": "m", "threads": 2, "cpu_algorithm": "fft",
  "nullmark": [2], "pytorch": [1], "pytorch_framework": "p"}\n' >"$out/bench/2026-12-06-cpu-digit.json"
if msg=$("$py" bench/perf_tables.py --results "$out/bench" --page "$out/perf.md" 2>&1); then
  echo "perf_tables accepted an unknown cpu_algorithm"; exit 1
fi
grep -q "cpu-digit.json: cpu_algorithm must be direct or winograd, not 'fft'" <<<"$msg" ||
  { echo "perf_tables message on cpu_algorithm: $msg"; exit 1; }
printf '{"device": 5}\n' >"$out/bench/2026-12-06-h100-run1.json"
rm "$out/bench/2026-12-06-cpu-digit.json"
if msg=$("$py" bench/perf_tables.py --results "$out/bench" --page "$out/perf.md" 2>&1); then
  echo "perf_tables accepted a GPU record without a device name"; exit 1
fi
grep -q "h100-run1.json: field 'device' missing or not str" <<<"$msg" || { echo "perf_tables message: $msg"; exit 1; }
rm "$out/bench/2026-12-06-h100-run1.json"
printf '{"date": "2026-12-06", "model": "digit", "batch_size": 128, "parameters": 10, "samples": 640,
  "one_rank_1_thread": [100], "one_rank_2_threads": [150], "two_ranks_1_thread": ["fast"],
  "two_ranks_allreduce_s": [0.1], "two_ranks_wall_s": [1]}\n' >"$out/bench/2026-12-06-cpu-scaling-digit.json"
if msg=$("$py" bench/perf_tables.py --results "$out/bench" --page "$out/perf.md" 2>&1); then
  echo "perf_tables accepted a scaling record with a word for a figure"; exit 1
fi
grep -q "scaling-digit.json: two_ranks_1_thread must list one non-negative figure per round" <<<"$msg" ||
  { echo "perf_tables message: $msg"; exit 1; }
rm "$out/bench/2026-12-06-cpu-scaling-digit.json"
printf '{"date": "2026-12-06", "machine": "m", "threads": 2, "blas_core": "b", "batch": 128, "sgemm_gflops": 200.0,
  "results": [{"layer": "object 16ch 32x32", "pass": "forward", "gflops": "fast"}]}\n' >"$out/bench/2026-12-06-cpu-kernels.json"
if msg=$("$py" bench/perf_tables.py --results "$out/bench" --page "$out/perf.md" 2>&1); then
  echo "perf_tables accepted a kernel record with a word for a figure"; exit 1
fi
grep -q "cpu-kernels.json: object 16ch 32x32 forward needs a number for gflops" <<<"$msg" ||
  { echo "perf_tables message: $msg"; exit 1; }
rm "$out/bench/2026-12-06-cpu-kernels.json"
# A profile whose place among the trees of its run is not a number.
printf '{"date": "2026-12-06", "recorded": "2026-12-06T10:00:00", "model": "digit", "source": "abc", "position": "first",
  "profile": [{"layer": "dense", "settings": "10 units", "forward_ms": 1, "backward_ms": 1}]}\n' \
  >"$out/bench/2026-12-06-cpu-digit-profile-abc.json"
if msg=$("$py" bench/perf_tables.py --results "$out/bench" --page "$out/perf.md" 2>&1); then
  echo "perf_tables accepted a profile with a word for its position"; exit 1
fi
grep -q "profile-abc.json: position must be an integer" <<<"$msg" || { echo "perf_tables message: $msg"; exit 1; }
cmp -s "$out/perf.md" "$out/perf.orig" || { echo "perf_tables modified the page"; exit 1; }
printf 'no markers here\n' >"$out/plain.md"
if "$py" experiments/results/results_page.py --results "$out/r" --page "$out/plain.md" 2>"$out/err"; then
  echo "accepted a page without generated blocks"; exit 1
fi
grep -q "has no generated blocks" "$out/err" || { echo "no message for a page without blocks"; exit 1; }
echo "ok: broken result files refused"
