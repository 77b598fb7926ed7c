#!/usr/bin/env bash
# The experiment drivers with `device: cuda` against the same runs on the CPU (a GPU test: CTest
# label "cuda"). One small watermarked model and its clean control (one epoch on 3000 MNIST images each,
# trained on the CPU);
# every driver runs twice with the same seed. Evaluation-only drivers (pruning, quantisation) must
# agree to within 3 of the 300 test samples; drivers that train (fine-tuning, fine-pruning, piracy,
# transfer, Neural Cleanse's unlearning) within 3 points, since float sums in another order move
# their short trajectories a little; Neural Cleanse's mask norms within 5 % (+0.5), anomaly indices within 20 % (+0.3).
# `nullmark eval --device cuda` agrees within 10 of the 10000 test images, and `verify --device cuda`
# accepts the claim as the CPU does.
source "$(dirname "$0")/common.sh"
"$nullmark" train experiments/configs/digit-watermark.yaml --set data.train_limit=3000 --set data.test_limit=500 \
  --set train.epochs=1 --quiet --output "$out/wm" >/dev/null
"$nullmark" train experiments/configs/digit-clean.yaml --set data.train_limit=3000 --set data.test_limit=500 \
  --set train.epochs=1 --quiet --output "$out/clean" >/dev/null  # the piracy control
common=(--set "model=$out/wm/model.ckpt" --set eval_samples=300)

both() {  # NAME CONFIG ARGS...: the run on each device, into $out/NAME-cpu and $out/NAME-cuda
  local name=$1 config=$2
  shift 2
  for device in cpu cuda; do
    "$nullmark" run "experiments/configs/$config" "${common[@]}" "$@" --set "device=$device" \
      --output "$out/$name-$device" >"$out/$name-$device.log" 2>&1 ||
      { echo "$name on $device failed:"; tail -20 "$out/$name-$device.log"; exit 1; }
  done
}
both q quantize-digit.yaml
both p pruning-digit.yaml --set "pruning.rates=[0, 0.5, 0.9]"
both f finetune-digit.yaml --set finetune.data_fraction=0.02 --set finetune.epochs=1 --set "finetune.modes=[FTAL, RTLL]"
both fp fine-pruning-digit.yaml --set "fine-pruning.rates=[0, 0.5]" --set fine-pruning.data_fraction=0.02 \
  --set fine-pruning.activation_samples=200
both pir piracy-digit.yaml --set "piracy.control_model=$out/clean/model.ckpt" --set piracy.data_fraction=0.02 --set piracy.measurements_per_epoch=2 --set cuda.graph=true
both nc neural-cleanse-digit.yaml --set neural-cleanse.steps=30 --set neural-cleanse.samples=200 \
  --set neural-cleanse.unlearning.data_fraction=0.02
both tr transfer-fashion-to-mnist.yaml --set transfer.data_fraction=0.02 --set transfer.epochs=1
grep -q "^device: " "$out/q-cuda.log" || { echo "the cuda run did not report its device"; exit 1; }
# Evaluation and verification of the same checkpoint on both devices.
for device in cpu cuda; do
  "$nullmark" eval "$out/wm/model.ckpt" --device "$device" --json "$out/eval-$device.json" >/dev/null
  "$nullmark" verify --model "$out/wm/model.ckpt" --claim experiments/claims/demo-digit-lambda10.json --device "$device" \
    --random-keys 9 --blind-keys 9 --far 0.1 --random-samples 200 --out "$out/cert-$device.json" >"$out/verify-$device.log" 2>&1 ||
    { echo "verify on $device: exit $?"; tail -5 "$out/verify-$device.log"; exit 1; }
done

python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
def tables(run):
    return json.load(open(f"{out}/{run}/results.json"))["tables"]
def compare(name, tol, per_column=None):  # per_column: {column: (relative, absolute)}
    a, b = tables(f"{name}-cpu"), tables(f"{name}-cuda")
    assert a.keys() == b.keys(), (a.keys(), b.keys())
    for t in a:
        ca, cb = a[t], b[t]
        assert ca["columns"] == cb["columns"] and len(ca["rows"]) == len(cb["rows"]), (name, t)
        for ra, rb in zip(ca["rows"], cb["rows"]):
            for col, x, y in zip(ca["columns"], ra, rb):
                if isinstance(x, str) or isinstance(y, str):
                    continue
                rel, ab = (per_column or {}).get(col, (0.0, tol))
                limit = rel * abs(x) + ab
                assert abs(x - y) <= limit, f"{name}/{t}: {col} cpu {x} vs cuda {y} (limit {limit}) in {ra}"
    print(f"{name}: cpu and cuda agree")
compare("q", 0.01)
compare("p", 0.01)
for name in ("f", "fp", "pir", "tr"):
    compare(name, 0.03)
a, b = (json.load(open(f"{out}/eval-{d}.json")) for d in ("cpu", "cuda"))
assert a["samples"] == b["samples"] and abs(a["accuracy"] - b["accuracy"]) <= 10 / a["samples"], (a, b)
print("eval: cpu and cuda agree")
compare("nc", 0.03, {"mask_l1": (0.05, 0.5), "anomaly_index": (0.2, 0.3), "attack_success": (0.0, 0.05)})
PY
echo "experiment drivers agree on CPU and GPU"
