#!/usr/bin/env bash
# Every experiment driver on a tiny configuration (a watermarked and a clean model trained for one
# epoch on 3000 MNIST images, small attack budgets): checks the structure of each run directory and
# the sanity of its numbers.
source "$(dirname "$0")/common.sh"
tiny=(--set data.train_limit=3000 --set data.test_limit=500 --set train.epochs=1 --quiet)
"$nullmark" train experiments/configs/digit-watermark.yaml "${tiny[@]}" --output "$out/wm" >/dev/null
"$nullmark" train experiments/configs/digit-clean.yaml "${tiny[@]}" --output "$out/clean" >/dev/null
common=(--set "model=$out/wm/model.ckpt" --set eval_samples=300)

check_run() {  # DIR TABLE...
  local dir=$1
  shift
  for f in config.yaml results.json report.md "$@"; do
    [ -s "$dir/$f" ] || { echo "missing $dir/$f"; exit 1; }
  done
}

"$nullmark" run experiments/configs/quantize-digit.yaml "${common[@]}" --output "$out/q" >/dev/null 2>&1
check_run "$out/q" quantize.csv
"$nullmark" run experiments/configs/pruning-digit.yaml "${common[@]}" --set "pruning.rates=[0, 0.5, 1.0]" \
  --output "$out/p" >/dev/null 2>&1
check_run "$out/p" pruning.csv
is_png "$out/p/pruning.png"
"$nullmark" run experiments/configs/finetune-digit.yaml "${common[@]}" --set finetune.data_fraction=0.01 \
  --set finetune.epochs=1 --set "finetune.modes=[FTLL, RTAL]" --set finetune.frozen_batchnorm=eval \
  --output "$out/f" >/dev/null 2>&1
check_run "$out/f" finetune_curves.csv finetune_summary.csv
grep -q "frozen layers' batch norm runs in eval mode" "$out/f/report.md"
# BNRE re-estimates batch-norm statistics: on the digit model, which has none, it stops with a message.
if msg=$("$nullmark" run experiments/configs/finetune-digit.yaml "${common[@]}" --set "finetune.modes=[BNRE]" \
  --output "$out/bnre" 2>&1); then echo "BNRE ran on a model without batch norm"; exit 1; fi
grep -q "BNRE re-estimates batch-norm statistics, and the model .* has no batchnorm layer" <<<"$msg" ||
  { echo "unclear BNRE refusal: $msg"; exit 1; }
[ ! -e "$out/bnre/results.json" ] || { echo "the refused BNRE run wrote results"; exit 1; }
# Clean batch-norm statistics on that model: refused before the run directory is made.
if msg=$("$nullmark" train experiments/configs/digit-watermark.yaml --set watermark.batchnorm_statistics=clean \
  --set data.train_limit=100 --set train.epochs=1 --output "$out/bn-clean" 2>&1); then
  echo "clean batch-norm statistics were accepted on a model without batch norm"; exit 1
fi
grep -q "batchnorm_statistics: clean .* has no batchnorm layer" <<<"$msg" || { echo "unclear refusal: $msg"; exit 1; }
[ ! -e "$out/bn-clean" ] || { echo "the refused training made its run directory"; exit 1; }
"$nullmark" run experiments/configs/piracy-digit.yaml "${common[@]}" --set "piracy.control_model=$out/clean/model.ckpt" \
  --set piracy.data_fraction=0.01 --set piracy.measurements_per_epoch=2 --output "$out/pir" >/dev/null 2>&1
check_run "$out/pir" piracy_curves.csv piracy_summary.csv
# Pirate keys as a seed axis: one setting, two runs, the same pirate data (seed 1) for both.
"$nullmark" run experiments/configs/piracy-digit.yaml "${common[@]}" --set piracy.data_fraction=0.01 \
  --set piracy.epochs=1 --set piracy.measurements_per_epoch=1 --set "piracy.control_model=\"\"" \
  --set "sweep={piracy.key_seed: [3, 5]}" --output "$out/keys" >/dev/null 2>&1
check_run "$out/keys/piracy.key_seed=5" piracy_summary.csv
grep -q "| (seeds only) | owner_model.clean_after |" "$out/keys/report.md"

"$nullmark" run experiments/configs/fine-pruning-digit.yaml "${common[@]}" --set "fine-pruning.rates=[0, 0.5]" \
  --set fine-pruning.data_fraction=0.01 --set fine-pruning.activation_samples=200 --output "$out/fp" >/dev/null 2>&1
check_run "$out/fp" fine_pruning.csv
"$nullmark" run experiments/configs/neural-cleanse-digit.yaml "${common[@]}" --set neural-cleanse.steps=20 \
  --set neural-cleanse.samples=200 --set neural-cleanse.unlearning.data_fraction=0.01 --output "$out/nc" >/dev/null 2>&1
check_run "$out/nc" neural_cleanse.csv unlearning.csv masks.json
# Transfer from the (MNIST) watermarked model to an MNIST student: exercises the head swap and training.
"$nullmark" run experiments/configs/transfer-fashion-to-mnist.yaml "${common[@]}" --set transfer.data_fraction=0.01 \
  --set transfer.epochs=1 --output "$out/tr" >/dev/null 2>&1
check_run "$out/tr" transfer.csv

# A sweep: every combination in its own directory, and a summary with mean and std over seeds.
"$nullmark" run experiments/configs/quantize-digit.yaml "${common[@]}" --set "sweep={seed: [1, 2], eval_samples: [100, 200]}" \
  --output "$out/sw" >/dev/null 2>&1
[ -s "$out/sw/seed=2,eval_samples=100/results.json" ] || { echo "sweep run directory missing"; ls "$out/sw"; exit 1; }
grep -q "| eval_samples=200 | int8.clean |" "$out/sw/report.md"
grep -q ",2$" "$out/sw/sweep_summary.csv"  # two seeds per setting
# Per-seed pairs of two findings, from the summary's values.
"${NULLMARK_PYTHON:-/usr/bin/python3}" experiments/plots/plot_sweep_pairs.py "$out/sw" --x float32.clean --y int8.clean \
  --setting eval_samples=200 >/dev/null
is_png "$out/sw/pairs.png"
# Several sweeps in one figure, each setting under its sweep's label.
"${NULLMARK_PYTHON:-/usr/bin/python3}" experiments/plots/plot_sweep_pairs.py "$out/keys" "$out/keys" --label a --label b \
  --x pirate_watermark.key_seed --y owner_model.clean_after --out "$out/keys/two.png" >"$out/keys/two.out"
is_png "$out/keys/two.png"
grep -q "^b: 2 runs, r" "$out/keys/two.out" || { echo "no correlation line:"; cat "$out/keys/two.out"; exit 1; }
# Pooled, the same sweep twice has the correlation of one; free axes for findings on other scales.
"${NULLMARK_PYTHON:-/usr/bin/python3}" experiments/plots/plot_sweep_pairs.py "$out/keys" "$out/keys" --label a --label b \
  --x pirate_watermark.ones --y owner_model.clean_after --pooled --free-axes --dodge 0.2 --out "$out/keys/pooled.png" \
  >"$out/keys/pooled.out"
is_png "$out/keys/pooled.png"
one_r=$(sed -n 's/^a: 2 runs, //p' "$out/keys/pooled.out")
grep -qx "pooled: 4 runs, $one_r" "$out/keys/pooled.out" || { echo "pooled line:"; cat "$out/keys/pooled.out"; exit 1; }
# Grouped by a finding: key 3 below the edge 4, key 5 above it; the mean is the two runs' own values'.
python3 experiments/plots/sweep_groups.py "$out/keys" --by pirate_watermark.key_seed --edges 4 \
  --y owner_model.clean_after --below 2 >"$out/keys/groups.out"
python3 - "$out/keys" <<'PY'
import json, sys
lines = [l.strip() for l in open(sys.argv[1] + "/groups.out")]
v = [json.load(open(f"{sys.argv[1]}/piracy.key_seed={k}/results.json"))["findings"]["owner_model"]["clean_after"]
     for k in (3, 5)]
assert lines[1].startswith("pirate_watermark.key_seed < 4: 1 runs, mean " + format(v[0], ".4g")), lines
assert lines[2].startswith("pirate_watermark.key_seed >= 4: 1 runs, mean " + format(v[1], ".4g")), lines
assert lines[3].startswith("all: 2 runs, mean " + format((v[0] + v[1]) / 2, ".4g") + ", 2 under 2"), lines
PY
# Two sweeps are pooled: the same sweep twice counts each run twice.
python3 experiments/plots/sweep_groups.py "$out/keys" "$out/keys" --by pirate_watermark.key_seed --edges 4 \
  --y owner_model.clean_after | grep -q "^  all: 4 runs, mean "
# Less a baseline of the same keys' runs: the owner's accuracy after the attack less its accuracy
# before, the mean worked out from each run's results.json; the baseline found in --base-dir; none
# for a finding no run reports.
python3 experiments/plots/sweep_excess.py "$out/keys" --base-dir "$out/keys" --x pirate_watermark.ones \
  --y owner_model.clean_after --base owner_model.clean_before >"$out/keys/excess.out"
python3 - "$out/keys" <<'PY'
import json, sys
lines = [l.strip() for l in open(sys.argv[1] + "/excess.out")]
f = [json.load(open(f"{sys.argv[1]}/piracy.key_seed={k}/results.json"))["findings"]["owner_model"] for k in (3, 5)]
mean = sum(r["clean_after"] - r["clean_before"] for r in f) / 2
assert lines[0] == "2 runs paired by pirate_watermark.key_seed", lines
assert lines[-1] == "mean y - base = " + format(mean, ".4g"), lines
PY
if python3 experiments/plots/sweep_excess.py "$out/keys" --x pirate_watermark.ones --y owner_model.clean_after \
  --base control_model.clean_after >/dev/null 2>"$out/keys/excess.err"; then
  echo "sweep_excess.py accepted a baseline no run reports"; exit 1
fi
grep -q "control_model.clean_after" "$out/keys/excess.err"
# The correlation it prints, on values worked out by hand (r = 5.5 / sqrt(5 * 8.75)), and none for a constant.
"${NULLMARK_PYTHON:-/usr/bin/python3}" -c "
import sys; sys.path.insert(0, 'experiments/plots')
from plot_sweep_pairs import pearson
assert abs(pearson([1, 2, 3, 4], [1, 3, 2, 5]) - 5.5 / 43.75 ** 0.5) < 1e-12
assert pearson([1, 1, 1], [1, 2, 3]) is None and pearson([1], [2]) is None"

python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
def table(run, name):
    t = json.load(open(f"{out}/{run}/results.json"))["tables"][name]
    return [dict(zip(t["columns"], r)) for r in t["rows"]]
q = {r["weights"]: r for r in table("q", "quantize")}
assert set(q) == {"float32", "int8", "fp16"}, q
# Pruning at 0 % changes nothing: the same accuracies as the unmodified float32 model.
p = table("p", "pruning")
for scope in ("per_layer", "global"):
    rows = {r["rate"]: r for r in p if r["scope"] == scope}
    assert abs(rows[0]["clean"] - q["float32"]["clean"]) < 1e-12, (rows[0], q["float32"])
    assert abs(rows[0]["null"] - q["float32"]["null"]) < 1e-12
    # ... and at 100 % every weight is zero: one constant prediction, chance-level accuracy.
    assert rows[1.0]["clean"] < 0.25 and rows[1.0]["true"] in (0.0, 1.0), rows[1.0]
f = table("f", "finetune_curves")
assert {r["mode"] for r in f} == {"FTLL", "RTAL"}, f
assert all(0 <= r[k] <= 1 for r in f for k in ("clean", "null", "true"))
pir = json.load(open(f"{out}/pir/results.json"))["findings"]
for k in ("owner_model", "control_model", "forged_claim"):
    assert k in pir, pir.keys()
assert pir["forged_claim"]["decision"] == "rejected", pir["forged_claim"]
# The pirate's pattern: key from the run's seed (1) unless piracy.key_seed names one; the overlap
# with the owner's 6x6 pattern is at most its 36 pixels.
pw = pir["pirate_watermark"]
assert pw["key_seed"] == 1 and 0 <= pw["conflicting_pixels"] <= pw["overlap_pixels"] <= 36, pw
assert len(pw["bits"]) == 36 and set(pw["bits"]) <= {"0", "1"}, pw
assert pw["ones"] == pw["bits"].count("1"), pw
# The pre-attack measures are the summary's "before" row of each model.
before = {r["model"]: r for r in table("pir", "piracy_summary") if r["when"] == "before"}
for k, model in (("owner_model", "owner-watermarked"), ("control_model", "control-clean")):
    assert 0 <= pir[k]["pirate_label_on_clean_after"] <= 1, pir[k]
    assert pir[k]["pirate_null_before"] == before[model]["pirate_null"], (pir[k], before)
    assert pir[k]["pirate_true_before"] == before[model]["pirate_true"], (pir[k], before)
    # A true-stamped sample is either given y_W or its own label (both counts exclude y_W's own samples).
    assert 0 <= pir[k]["pirate_true_ignored_before"] <= 1 - pir[k]["pirate_true_before"] + 1e-12, pir[k]
    assert 0 <= pir[k]["pirate_label_on_clean_before"] <= 1, pir[k]
    # A stamp of +-lambda moves the logits of a model it was never trained into.
    assert pir[k]["pirate_null_shift_before"] > 0 and pir[k]["pirate_true_shift_before"] > 0, pir[k]
keys = {e["finding"]: e for e in json.load(open(f"{out}/keys/sweep_summary.json"))}
assert keys["pirate_watermark.key_seed"]["values"] == [3, 5], keys["pirate_watermark.key_seed"]
assert keys["owner_model.clean_after"]["runs"] == 2
for k in (3, 5):
    f = json.load(open(f"{out}/keys/piracy.key_seed={k}/results.json"))["findings"]["pirate_watermark"]
    assert f["key_seed"] == k, f
    assert f"key seed {k}, y_W = {f['label']}," in open(f"{out}/keys/piracy.key_seed={k}/report.md").read()
nc = table("nc", "neural_cleanse")
assert len(nc) == 10 and all(r["mask_l1"] > 0 for r in nc), nc
fp = table("fp", "fine_pruning")
assert [r["stage"] for r in fp] == ["pruned", "fine-tuned", "pruned", "fine-tuned"], fp
tr = json.load(open(f"{out}/tr/results.json"))["findings"]
assert set(tr) >= {"head", "all"} and 0 <= tr["all"]["student_clean"] <= 1, tr
# The sweep's summary: each setting's values are its runs' own findings, in seed order, and the
# mean and extremes are theirs.
sw = {(e["setting"], e["finding"]): e for e in json.load(open(f"{out}/sw/sweep_summary.json"))}
e = sw[("eval_samples=200", "int8.clean")]
runs = [json.load(open(f"{out}/sw/seed={s},eval_samples=200/results.json"))["findings"]["int8"]["clean"] for s in (1, 2)]
assert e["values"] == runs and e["runs"] == 2, (e, runs)
assert e["min"] == min(runs) and e["max"] == max(runs) and abs(e["mean"] - sum(runs) / 2) < 1e-12, e
print("experiment driver outputs OK")
PY
grep -q "Pirate embedding on the owner's watermarked model" "$out/pir/report.md"
echo "experiments smoke test passed"
