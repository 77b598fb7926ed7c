#!/usr/bin/env bash
# End-to-end through the command line on a slice of the embedded MNIST: train one epoch, check the
# run directory, evaluate the checkpoint, resume for a second epoch (and its training curves), and
# make sure a failing run leaves an existing checkpoint untouched.
source "$(dirname "$0")/common.sh"
cfg=experiments/configs/digit-clean.yaml
common=(--set data.train_limit=2000 --set data.test_limit=500 --set train.epochs=2 --quiet)

"$nullmark" train "$cfg" "${common[@]}" --set train.epochs=1 --output "$out/run" | tee "$out/train.log"
for f in config.yaml metrics.json model.ckpt; do
  [ -s "$out/run/$f" ] || { echo "missing $out/run/$f"; exit 1; }
done
grep -q "train_limit: 2000" "$out/run/config.yaml"   # the resolved config records overrides
grep -q "min_lr: 1e-05" "$out/run/config.yaml"        # ... and defaults/values actually used
python3 - "$out/run/metrics.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
assert len(m["epochs"]) == 1, m
e = m["epochs"][0]
for k in ("train_loss", "train_accuracy", "test_loss", "test_accuracy", "wall_s", "images_per_s"):
    assert k in e, k
assert e["test_accuracy"] > 0.5, e  # 2000 images, one epoch: well above chance
PY
"$nullmark" eval "$out/run/model.ckpt" --json "$out/eval.json" | grep -q "accuracy"
"$nullmark" train "$cfg" "${common[@]}" --output "$out/run" --resume "$out/run/model.ckpt" | tee "$out/resume.log"
grep -q "epoch 2/2" "$out/resume.log"
python3 -c "import json,sys; m=json.load(open(sys.argv[1])); assert len(m['epochs'])==2, m" "$out/run/metrics.json"
is_png "$out/run/training.png"   # the training curves, drawn at the end of the run
# NULLMARK_FIGURES=off: no figure, and a note that says how to make it.
NULLMARK_FIGURES=off "$nullmark" train "$cfg" "${common[@]}" --set train.epochs=1 --output "$out/nofig" 2>"$out/nofig.err"
[ ! -e "$out/nofig/training.png" ] || { echo "NULLMARK_FIGURES=off drew the training curves"; exit 1; }
grep -q "figures not made (NULLMARK_FIGURES=off); make them with: .*plot_training.py" "$out/nofig.err" ||
  { echo "no note for the skipped figures:"; cat "$out/nofig.err"; exit 1; }

# A run that fails (bad data path) must not touch the existing checkpoint.
before=$(sha256sum "$out/run/model.ckpt")
if "$nullmark" train "$cfg" "${common[@]}" --set data.path=/nonexistent --output "$out/run" 2>/dev/null; then
  echo "training on a missing data set succeeded"; exit 1
fi
[ "$before" = "$(sha256sum "$out/run/model.ckpt")" ] || { echo "checkpoint changed by a failed run"; exit 1; }
echo "train smoke test passed"
