#!/usr/bin/env bash
# Fuzzes every parser of outside input with libFuzzer (Debian's clang, AddressSanitizer and
# UndefinedBehaviorSanitizer): scripts/fuzz.sh [SECONDS per harness, default 60] [HARNESS ...]
# Builds build-fuzz/ (CPU only), then runs each harness in fuzz/ from its seed corpus in
# fuzz/corpus/NAME/ for SECONDS. Inputs a run discovers go to a scratch corpus, not the committed
# one. A crash, a sanitizer report, an exception other than nullmark's own error, a timeout or more
# than 2 GB of memory is a finding: the harness stops, writes the input as build-fuzz/findings/NAME/
# crash-* (reproduce with build-fuzz/fuzz/NAME FILE), and the script fails.
# With NULLMARK_FUZZ_RECORD=DIR, each harness that runs its full time without a finding also writes
# DIR/NAME.json (seconds, executions, peak memory, corpus size, clang and source versions), the
# figures docs/hostile-input.md shows (experiments/results/results_page.py).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
scripts/install-deps.sh
flags="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  -DNULLMARK_CUDA=OFF -DNULLMARK_NATIVE=OFF -DNULLMARK_MPI=OFF -DNULLMARK_BUILD_TESTS=OFF -DNULLMARK_FUZZ=ON \
  -DCMAKE_CXX_FLAGS="$flags" >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target fuzz_all
# The source the harnesses were built from, for the records (a later edit must not relabel them).
source_rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain -- fuzz common datasets nn watermark 2>/dev/null)" ] || source_rev="$source_rev+changes"
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(fuzz_config fuzz_claim fuzz_certificate fuzz_keys fuzz_idx fuzz_records fuzz_checkpoint
  fuzz_timestamp fuzz_onnx)
failed=()
for h in "${harnesses[@]}"; do
  scratch=$(mktemp -d /tmp/nullmark-fuzz-corpus.XXXXXX)
  mkdir -p "build-fuzz/findings/$h"
  echo "fuzz: $h for $seconds s"
  if ! build-fuzz/fuzz/"$h" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -artifact_prefix="build-fuzz/findings/$h/" -print_final_stats=1 "$scratch" "fuzz/corpus/$h" \
      >"build-fuzz/findings/$h/log" 2>&1; then
    failed+=("$h")
    tail -30 "build-fuzz/findings/$h/log"
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "build-fuzz/findings/$h/log" | sed "s/^/  $h /" || true
  if [ -n "${NULLMARK_FUZZ_RECORD:-}" ] && [[ ! " ${failed[*]:-} " =~ " $h " ]]; then
    mkdir -p "$NULLMARK_FUZZ_RECORD"
    python3 - "$h" "$seconds" "build-fuzz/findings/$h/log" "$scratch" "fuzz/corpus/$h" "$NULLMARK_FUZZ_RECORD/$h.json" \
      "$source_rev" <<'PY'
import datetime, json, os, re, subprocess, sys
h, seconds, log, scratch, seeds, out, source = sys.argv[1:]
text = open(log, errors="replace").read()
stat = lambda name: int(re.search(r"stat::%s:\s*(\d+)" % name, text).group(1))
record = {"harness": h, "seconds": int(seconds), "executions": stat("number_of_executed_units"),
          "peak_rss_mb": stat("peak_rss_mb"), "findings": 0, "seed_inputs": len(os.listdir(seeds)),
          "corpus_after": len(os.listdir(scratch)) + len(os.listdir(seeds)),
          "clang": subprocess.run(["clang", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
          "source": source,
          "date": datetime.date.today().isoformat()}
tmp = out + ".tmp"
json.dump(record, open(tmp, "w"), indent=2)
os.replace(tmp, out)
print("  %s recorded in %s" % (h, out))
PY
  fi
  rm -rf "$scratch"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in ${failed[*]} (inputs under build-fuzz/findings/)" >&2
  exit 1
fi
echo "fuzz: ${#harnesses[@]} harness(es), no findings"
