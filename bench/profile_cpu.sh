#!/usr/bin/env bash
# Per-layer time of CPU training steps, for docs/perf.md's profile table: runs the training benchmark
# of each source tree ROUNDS times with --profile on the "object" ResNet-20 (CIFAR-10, batch 128) or
# the "digit" model, and writes per tree each layer's median forward and backward time, with the
# source commit, to bench/results/DATE-cpu-MODEL-profile-REV.json.
#
# Give two trees, comma-separated, for the before and after of a change (the older one a worktree:
# `git worktree add /tmp/old REV`, built with `cmake -S /tmp/old -B /tmp/old/build && cmake --build
# /tmp/old/build --target bench_train_digit`). Their runs alternate round by round: a machine whose
# speed drifts by tens of percent over minutes slows both alike, where one tree's runs after the
# other's would compare two different machines.
#
#   bench/profile_cpu.sh [MODEL=object] [SOURCE_TREE[,SOURCE_TREE...]=.] [ROUNDS=3] [THREADS=all cores]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-object}
IFS=, read -r -a trees <<<"${2:-.}"
rounds=${3:-3}
threads=${4:-$(nproc)}
# A digit step takes about 10 ms: ten of them are too few to time a layer, so it takes 300 (as
# compare_cpu.sh does); a ResNet-20 step takes about 0.3 s.
if [ "$model" = digit ]; then steps=300 warmup=20; else steps=10 warmup=2; fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
revs=()
for t in "${!trees[@]}"; do
  tree=$(cd "${trees[$t]}" && pwd)
  trees[$t]=$tree
  # The tree's own config: an older tree may not read today's (a layer setting it lacks).
  [ -f "$tree/experiments/configs/$model-clean.yaml" ] ||
    { echo "profile_cpu: no config $tree/experiments/configs/$model-clean.yaml" >&2; exit 1; }
  [ -x "$tree/build/bench_train_digit" ] || { echo "profile_cpu: $tree/build/bench_train_digit is not built" >&2; exit 1; }
  rev=$(git -C "$tree" rev-parse --short HEAD)
  [ -z "$(git -C "$tree" status --porcelain -- kernels nn train bench ":!bench/results" 2>/dev/null)" ] || rev="$rev+changes"
  revs+=("$rev")
  mkdir -p "$out/$t"
done
for i in $(seq "$rounds"); do
  for t in "${!trees[@]}"; do
    "${trees[$t]}/build/bench_train_digit" --config "${trees[$t]}/experiments/configs/$model-clean.yaml" \
      --steps "$steps" --warmup "$warmup" --threads "$threads" --profile --json "$out/$t/$i.json" >/dev/null 2>&1
  done
done
for t in "${!trees[@]}"; do
  python3 - "$out/$t" "$rounds" "$model" "${revs[$t]}" "$threads" "$steps" "$t" <<'PY'
import datetime, json, os, statistics, sys
out, rounds, model, rev, threads, steps = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
position = int(sys.argv[7])  # the tree's place in the list: the records of one run share their time
runs = [json.load(open(os.path.join(out, "%d.json" % i))) for i in range(1, rounds + 1)]
rows = []
for k, first in enumerate(runs[0]["profile"]):
    rows.append({"layer": first["layer"], "settings": first["settings"],
                 "forward_ms": statistics.median(r["profile"][k]["forward_ms"] for r in runs),
                 "backward_ms": statistics.median(r["profile"][k]["backward_ms"] for r in runs)})
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
now = datetime.datetime.now()
record = {"date": now.date().isoformat(), "recorded": now.isoformat(timespec="seconds"), "model": model,
          "source": rev, "machine": "%s, %d cores" % (cpu, os.cpu_count()), "threads": threads,
          "blas_core": runs[0]["blas_core"], "rounds": rounds, "steps": steps,
          "position": position, "images_per_s": statistics.median(r["images_per_s"] for r in runs), "profile": rows}
path = "bench/results/%s-cpu-%s-profile-%s.json" % (record["date"], model, rev.replace("+", "-"))
json.dump(record, open(path, "w"), indent=2)
print("%s: %s at %s, median %.0f images/s -> %s" % (model, rev, record["date"], record["images_per_s"], path))
PY
done
