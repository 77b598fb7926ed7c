#!/usr/bin/env bash
# nullmark vs PyTorch training throughput on this CPU, same thread count, batch 128, for the "digit"
# model (Adam, MNIST) and the "object" ResNet-20 (SGD with Nesterov momentum; needs the CIFAR-10 data
# of experiments/configs/object-clean.yaml, else it is skipped with a message). Runs both programs
# ROUNDS times, interleaved (a shared machine's speed drifts by +-20 % over minutes, so a single pair
# of runs says little), and reports each median, their ratio and the median of the per-round
# ratios, per model.
#
#   bench/compare_cpu.sh [ROUNDS=5] [THREADS=all cores] [MODELS="digit object"]
# (needs build/ and Debian's python3-torch)
# With NULLMARK_BENCH_RECORD=DIR it also writes DIR/DATE-cpu-MODEL[-N].json (every round, the medians,
# the machine), which bench/perf_tables.py turns into the CPU table of docs/perf.md.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
threads=${2:-$(nproc)}
models=" ${3:-digit object} "
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
compare() {  # MODEL STEPS WARMUP CPU_ALGORITHM [nullmark options...]
  local model=$1 steps=$2 warmup=$3 algorithm=$4
  shift 4
  for i in $(seq "$rounds"); do
    build/bench_train_digit "$@" --threads "$threads" --steps "$steps" --warmup "$warmup" --json "$out/nm$i.json" \
      2>/dev/null >/dev/null
    /usr/bin/python3 bench/pytorch_train.py --model "$model" --threads "$threads" --steps "$steps" --warmup "$warmup" \
      --json "$out/pt$i.json" >/dev/null
    python3 -c "import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); print(f'$model round $i: nullmark {a[\"images_per_s\"]:.0f} img/s, {b[\"framework\"]} {b[\"images_per_s\"]:.0f} img/s')" "$out/nm$i.json" "$out/pt$i.json"
  done
  python3 - "$out" "$rounds" "$threads" "$model" "$steps" "${NULLMARK_BENCH_RECORD:-}" "$algorithm" <<'PY'
import json, os, statistics, sys, datetime
out, rounds, threads, model, steps, record = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
algorithm = sys.argv[7]
nm = [json.load(open(f"{out}/nm{i}.json")) for i in range(1, rounds + 1)]
pt = [json.load(open(f"{out}/pt{i}.json")) for i in range(1, rounds + 1)]
a = statistics.median(r["images_per_s"] for r in nm)
b = statistics.median(r["images_per_s"] for r in pt)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"{datetime.date.today()}  {model}: {cpu}, {threads} threads, batch 128, OpenBLAS {nm[0]['blas_core']}")
# Each round runs the two back to back, so a drift of the machine's speed slows both of a round's
# runs alike: the median of the per-round ratios is the steadier figure of the two.
paired = statistics.median(x["images_per_s"] / y["images_per_s"] for x, y in zip(nm, pt))
print(f"{model} (cpu_algorithm {algorithm}): median nullmark {a:.0f} img/s   median {pt[0]['framework']} {b:.0f} img/s   ratio {a / b:.2f}x   "
      f"median per-round ratio {paired:.2f}x")
if record:
    os.makedirs(record, exist_ok=True)
    # A second record of the day (another machine, say) takes the next free number: none is overwritten.
    path, n = os.path.join(record, f"{datetime.date.today()}-cpu-{model}.json"), 1
    while os.path.exists(path):
        n += 1
        path = os.path.join(record, f"{datetime.date.today()}-cpu-{model}-{n}.json")
    json.dump({"date": str(datetime.date.today()), "machine": f"{cpu}, {os.cpu_count()} cores", "threads": int(threads),
               "model": model, "cpu_algorithm": algorithm, "batch": 128, "steps": steps, "blas_core": nm[0]["blas_core"],
               "nullmark": [r["images_per_s"] for r in nm], "pytorch": [r["images_per_s"] for r in pt],
               "pytorch_framework": pt[0]["framework"], "median_nullmark": a, "median_pytorch": b,
               "ratio": a / b, "median_round_ratio": paired}, open(path, "w"), indent=2)
    print(f"wrote {path}")
PY
}
# The convolution algorithm a model's config asks of the CPU (a model-level cpu_algorithm; direct without one).
algorithm_of() { sed -n 's/^  cpu_algorithm: *\([a-z]*\).*/\1/p' "$1" | grep . || echo direct; }
case $models in *" digit "*) compare digit 300 20 "$(algorithm_of experiments/configs/digit-clean.yaml)" ;; esac
case $models in *" object "*) ;; *) exit 0 ;; esac
object_data=$(sed -n 's/^ *path: *\([^ #]*\).*/\1/p' experiments/configs/object-clean.yaml | head -1)
if [ -d "$object_data" ]; then
  compare object 20 5 "$(algorithm_of experiments/configs/object-clean.yaml)" --config experiments/configs/object-clean.yaml
else
  echo "object: skipped, its data set $object_data is not here (experiments/configs/object-clean.yaml)"
fi
