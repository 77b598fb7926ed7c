#!/usr/bin/env bash
# Sweeps over MPI ranks (mpirun -np 2 --oversubscribe): the 2-rank summary equals the 1-rank one;
# --resume keeps finished points; a rank killed mid-sweep leaves no summary, and --resume then runs
# exactly the unfinished points; ranks with different configs, and a config without a sweep, stop
# the job with a message naming the problem.
source "$(dirname "$0")/common.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpi=(mpirun -np 2 --oversubscribe)
"$nullmark" train experiments/configs/digit-watermark.yaml --set data.train_limit=3000 --set data.test_limit=500 \
  --set train.epochs=1 --quiet --output "$out/wm" >/dev/null 2>&1
cfg=experiments/configs/quantize-digit.yaml
common=(--set "model=$out/wm/model.ckpt" --set threads=1 --set "sweep={seed: [1, 2, 3], eval_samples: [200, 300]}")

same_summary() {  # A B: the sweep summaries agree on every finding but wall time
  python3 - "$1/sweep_summary.json" "$2/sweep_summary.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
strip = lambda s: [r for r in s if r["finding"] != "wall_s"]
assert strip(a) and strip(a) == strip(b), "sweep summaries differ"
PY
}

"$nullmark" run "$cfg" "${common[@]}" --output "$out/one" >/dev/null 2>&1
"${mpi[@]}" "$nullmark" run "$cfg" "${common[@]}" --output "$out/two" >"$out/two.log" 2>&1
grep -q "rank 1/2: sweep run 2/6" "$out/two.log"   # round robin: point 2 on rank 1
same_summary "$out/one" "$out/two"

# --resume keeps every finished point, and the summary is the same to the last digit.
cp "$out/two/sweep_summary.json" "$out/before.json"
"${mpi[@]}" "$nullmark" run "$cfg" "${common[@]}" --output "$out/two" --resume >"$out/resume.log" 2>&1
[ "$(grep -c "complete, kept" "$out/resume.log")" -eq 6 ]
cmp "$out/before.json" "$out/two/sweep_summary.json"

# A rank killed mid-sweep: no summary; --resume runs the unfinished points once each.
slow=(--set "model=$out/wm/model.ckpt" --set threads=1 --set "sweep={seed: [1, 2, 3, 4, 5, 6, 7, 8]}")
"${mpi[@]}" "$nullmark" run "$cfg" "${slow[@]}" --output "$out/killed" >"$out/killed.log" 2>&1 &
job=$!
for _ in $(seq 600); do
  [ "$(ls "$out"/killed/*/sweep_point.json 2>/dev/null | wc -l)" -ge 2 ] && break
  sleep 0.1
done
kill_rank 1 "nullmark run $cfg"
if wait "$job"; then echo "the job with a killed rank succeeded"; exit 1; fi
[ ! -e "$out/killed/sweep_summary.json" ] || { echo "a summary was written without every point"; exit 1; }
done_before=$(ls "$out"/killed/*/sweep_point.json | wc -l)
[ "$done_before" -lt 8 ] || { echo "every point finished before the kill; nothing to resume"; exit 1; }
"${mpi[@]}" "$nullmark" run "$cfg" "${slow[@]}" --output "$out/killed" --resume >"$out/resumed.log" 2>&1
kept=$(grep -c "complete, kept" "$out/resumed.log")
ran=$(grep "sweep run" "$out/resumed.log" | grep -vc "complete, kept")
[ "$kept" -eq "$done_before" ] && [ $((kept + ran)) -eq 8 ] ||
  { echo "resume kept $kept and ran $ran of 8 points ($done_before were finished)"; exit 1; }
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); r=[x for x in s if x['finding']=='float32.clean']; assert r[0]['runs']==8, r" \
  "$out/killed/sweep_summary.json"

# Ranks that disagree stop before any work, naming the rank; so does a config without a sweep.
set +e
mpirun -np 1 "$nullmark" run "$cfg" "${common[@]}" --output "$out/mixed" : \
  -np 1 "$nullmark" run "$cfg" "${common[@]}" --set eval_samples=7 --output "$out/mixed" >"$out/mixed.log" 2>&1
rc=$?
set -e
[ $rc -ne 0 ] && grep -q "rank 1 differs from rank 0" "$out/mixed.log" || { cat "$out/mixed.log"; exit 1; }
[ ! -e "$out/mixed" ] || [ -z "$(ls "$out/mixed")" ] || { echo "a refused job wrote results"; exit 1; }
set +e
"${mpi[@]}" "$nullmark" run "$cfg" --set "model=$out/wm/model.ckpt" --output "$out/single" >"$out/single.log" 2>&1
rc=$?
set -e
[ $rc -ne 0 ] && grep -q "nothing to spread over 2 ranks" "$out/single.log" || { cat "$out/single.log"; exit 1; }
echo "MPI sweep test passed"
