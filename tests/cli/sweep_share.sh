#!/usr/bin/env bash
# A sweep split into shares, as the tasks of a job array run it (--share K/N), then gathered by
# --resume: every point runs once, and the summary equals the one-process sweep's. Bad shares are
# refused.
source "$(dirname "$0")/common.sh"
"$nullmark" train experiments/configs/digit-watermark.yaml --set data.train_limit=3000 --set data.test_limit=500 \
  --set train.epochs=1 --quiet --output "$out/wm" >/dev/null 2>&1
cfg=experiments/configs/quantize-digit.yaml
common=(--set "model=$out/wm/model.ckpt" --set threads=1 --set "sweep={seed: [1, 2, 3], eval_samples: [200, 300]}")
"$nullmark" run "$cfg" "${common[@]}" --output "$out/one" >/dev/null 2>&1
"$nullmark" run "$cfg" "${common[@]}" --output "$out/shared" --share 0/2 >"$out/s0.log" 2>&1
"$nullmark" run "$cfg" "${common[@]}" --output "$out/shared" --share 1/2 >"$out/s1.log" 2>&1
[ ! -e "$out/shared/sweep_summary.json" ] || { echo "a share wrote a summary"; exit 1; }
[ "$(grep -c "sweep run" "$out/s0.log")" -eq 3 ] && [ "$(grep -c "sweep run" "$out/s1.log")" -eq 3 ]
grep -q "share 1/2: sweep run 2/6" "$out/s1.log"
"$nullmark" run "$cfg" "${common[@]}" --output "$out/shared" --resume >"$out/gather.log" 2>&1
[ "$(grep -c "complete, kept" "$out/gather.log")" -eq 6 ]
python3 - "$out/one/sweep_summary.json" "$out/shared/sweep_summary.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
strip = lambda s: [r for r in s if r["finding"] != "wall_s"]
assert strip(a) and strip(a) == strip(b), "the gathered summary differs from the one-process sweep's"
PY
for bad in 2/2 -1/2 1/0 x 1/2x; do
  if "$nullmark" run "$cfg" "${common[@]}" --output "$out/bad" --share "$bad" 2>"$out/bad.log"; then
    echo "--share $bad was accepted"; exit 1
  fi
  grep -q "expected K/N" "$out/bad.log" || { cat "$out/bad.log"; exit 1; }
done
echo "sweep share test passed"
