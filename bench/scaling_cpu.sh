#!/usr/bin/env bash
# Data-parallel scaling on one machine, for docs/clusters.md: trains MODEL's clean config for one
# epoch of SAMPLES images, ROUNDS times, interleaving three set-ups on the same cores:
#   one process with 1 thread, one process with 2 threads, and 2 MPI ranks with 1 thread each
#   (`train.parallel: {ranks: 2}`, the same global batch split in two),
# and writes the images/s of each run, the time the ranks spent summing gradients (waiting for the
# slower rank included), the model's parameter count and the batch size to
# bench/results/DATE-cpu-scaling-MODEL.json. bench/perf_tables.py turns it into the measured table
# and the communication model of docs/clusters.md.
#
#   bench/scaling_cpu.sh [MODEL=digit] [ROUNDS=3] [SAMPLES=12800]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-digit}
rounds=${2:-3}
samples=${3:-12800}
config=experiments/configs/$model-clean.yaml
[ -f "$config" ] || { echo "scaling_cpu: no config $config" >&2; exit 1; }
[ -x build/nullmark ] || { echo "scaling_cpu: build/nullmark is not built" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "scaling_cpu: needs mpirun (Debian's openmpi-bin)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMP_WAIT_POLICY=passive
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
common=(--set data.train_limit="$samples" --set data.test_limit=100 --set train.epochs=1 --quiet)
for i in $(seq "$rounds"); do
  build/nullmark train "$config" "${common[@]}" --set threads=1 --output "$out/one-1-$i" >"$out/log" 2>&1
  build/nullmark train "$config" "${common[@]}" --set threads=2 --output "$out/one-2-$i" >/dev/null 2>&1
  mpirun -np 2 build/nullmark train "$config" "${common[@]}" --set threads=1 --set "train.parallel={ranks: 2}" \
    --output "$out/two-$i" >/dev/null 2>&1
  echo "scaling_cpu: round $i of $rounds done" >&2
done
python3 - "$out" "$rounds" "$model" "$samples" "$(git rev-parse --short HEAD)" <<'PY'
import datetime, json, os, re, sys
out, rounds, model, samples, rev = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
epoch = lambda run: json.load(open(os.path.join(out, run, "metrics.json")))["epochs"][0]
config = open(os.path.join(out, "one-1-1", "config.yaml")).read()
params = int(re.search(r"total parameters: (\d+)", open(os.path.join(out, "log")).read()).group(1))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
now = datetime.datetime.now()
record = {"date": now.date().isoformat(), "recorded": now.isoformat(timespec="seconds"), "model": model,
          "source": rev, "machine": "%s, %d cores" % (cpu, os.cpu_count()), "samples": samples,
          "batch_size": int(re.search(r"batch_size: (\d+)", config).group(1)), "parameters": params,
          "one_rank_1_thread": [epoch("one-1-%d" % i)["images_per_s"] for i in range(1, rounds + 1)],
          "one_rank_2_threads": [epoch("one-2-%d" % i)["images_per_s"] for i in range(1, rounds + 1)],
          "two_ranks_1_thread": [epoch("two-%d" % i)["images_per_s"] for i in range(1, rounds + 1)],
          "two_ranks_allreduce_s": [epoch("two-%d" % i)["allreduce_s"] for i in range(1, rounds + 1)],
          "two_ranks_wall_s": [epoch("two-%d" % i)["wall_s"] for i in range(1, rounds + 1)]}
path = os.path.join("bench", "results", "%s-cpu-scaling-%s.json" % (record["date"], model))
json.dump(record, open(path, "w"), indent=2)
print("wrote", path)
PY
