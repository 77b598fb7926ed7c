#!/usr/bin/env bash
# scripts/reproduce.sh's plan at smoke size (reproduce.py digit --quick: two owner seeds, one pirate
# key): every run leaves its result file, the generator fills every MNIST table of a copy of
# docs/results.md with intervals and decisions, a second call resumes without rerunning anything,
# and a run made again gives the same findings (CPU training is deterministic).
source "$(dirname "$0")/common.sh"
py=${NULLMARK_PYTHON:-/usr/bin/python3}
res="$out/results/digit"
"$py" experiments/results/reproduce.py digit --quick --out "$res" --runs "$out/runs" --nullmark "$nullmark" >"$out/log1"
n=$(find "$res" -name '*.json' | wc -l)
[ "$n" -eq 28 ] || { echo "expected 28 result files (14 runs x 2 seeds), found $n"; cat "$out/log1"; exit 1; }
grep -q '"decision": "' "$res/seed-2/pruning.json" || { echo "pruning results carry no decision"; exit 1; }

# Resume: nothing to do the second time.
"$py" experiments/results/reproduce.py digit --quick --out "$res" --runs "$out/runs" --nullmark "$nullmark" >"$out/log2"
grep -q "28 runs, 28 done already" "$out/log2" || { echo "second call did not resume:"; cat "$out/log2"; exit 1; }

# A run made again gives the same findings.
cp "$res/seed-1/pruning.json" "$out/pruning-first.json"
rm "$res/seed-1/pruning.json"
"$py" experiments/results/reproduce.py digit --quick --out "$res" --runs "$out/runs" --nullmark "$nullmark" >"$out/log3"
"$py" - "$out/pruning-first.json" "$res/seed-1/pruning.json" <<'PY'
import json, sys
a, b = (json.load(open(p))["run"]["findings"] for p in sys.argv[1:])
for f in (a, b):
    f.pop("wall_s")
sys.exit(0 if a == b else "a rerun of the pruning attack gave other findings")
PY

# A fresh clone has the result files but not the models (run directories are not committed): a run
# that needs a missing model trains it again, checks that it repeats the recorded training, and goes on.
rm "$out/runs/seed-1/owner/model.ckpt" "$res/seed-1/pruning.json"
"$py" experiments/results/reproduce.py digit --quick --out "$res" --runs "$out/runs" --nullmark "$nullmark" >"$out/log3b"
grep -q "regenerating .*seed-1/owner/model.ckpt .* the recorded training repeated exactly" "$out/log3b" ||
  { echo "the missing owner model was not regenerated:"; cat "$out/log3b"; exit 1; }
[ -f "$res/seed-1/pruning.json" ] || { echo "the attack did not run on the regenerated model"; exit 1; }
# A model that does not repeat its recorded training (here: a tampered record) stops the plan with a
# message, and leaves the recorded results as they were.
rm "$out/runs/seed-2/owner/model.ckpt" "$res/seed-2/pruning.json"
"$py" - "$res/seed-2/train-owner.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["train"]["epochs"][-1]["test_loss"] += 0.125
assert d["train"]["blas_core"], "a training records its BLAS kernel"
d["train"]["blas_core"] = "Haswell"  # as if recorded elsewhere: the message names the kernel to ask for
json.dump(d, open(sys.argv[1], "w"))
PY
cp "$res/seed-2/train-owner.json" "$out/tampered.json"
if "$py" experiments/results/reproduce.py digit --quick --out "$res" --runs "$out/runs" --nullmark "$nullmark" \
  >"$out/log3c" 2>&1; then
  echo "a model that differs from its record was accepted"; exit 1
fi
grep -q "does not repeat the recorded training (epoch .* test_loss" "$out/log3c" || { cat "$out/log3c"; exit 1; }
grep -q "recorded with OpenBLAS's Haswell kernels .* OPENBLAS_CORETYPE=HASWELL" "$out/log3c" || { cat "$out/log3c"; exit 1; }
cmp -s "$res/seed-2/train-owner.json" "$out/tampered.json" || { echo "the recorded training was overwritten"; exit 1; }
[ ! -f "$res/seed-2/pruning.json" ] || { echo "an attack ran on the differing model"; exit 1; }
[ ! -f "$out/runs/seed-2/owner/model.ckpt" ] || { echo "the differing model was left where a rerun would use it"; exit 1; }
rm -r "$res/seed-2" "$out/runs/seed-2"  # measured afresh
"$py" experiments/results/reproduce.py digit --quick --out "$res" --runs "$out/runs" --nullmark "$nullmark" >"$out/log3d"

# The generator: every MNIST table filled, means with intervals over the two seeds.
cp docs/results.md "$out/page.md"
"$py" experiments/results/results_page.py --results "$out/results" --page "$out/page.md" >/dev/null
for block in claims digit-training digit-verification digit-attacks digit-piracy; do
  body=$(sed -n "/BEGIN generated: $block -->/,/END generated: $block -->/p" "$out/page.md")
  grep -q "^| " <<<"$body" || { echo "block $block has no table"; echo "$body"; exit 1; }
done
grep -q "| watermarked (owner) | 2 | [0-9.]* ± [0-9.]* % |" "$out/page.md" || { echo "no interval in the training table"; exit 1; }
grep -q "magnitude pruning, global 80 % | \`pruning\` | 2 |.*| [012] of 2 |" "$out/page.md" ||
  { echo "no pruning decision count"; exit 1; }
# The forgery table lands in docs/watermark.md's copy too, with a pass count per level.
cp docs/watermark.md "$out/watermark.md"
"$py" experiments/results/results_page.py --results "$out/results" --page "$out/watermark.md" >/dev/null
grep -q "^| blind forger: label and position, random bits | .* | [0-9]* of 6 (" "$out/watermark.md" ||
  { echo "no blind-forgery row in the forgery table"; exit 1; }
# --check passes on the page it wrote and fails on the committed page (which holds other results).
"$py" experiments/results/results_page.py --results "$out/results" --page "$out/page.md" --check >/dev/null
cp docs/results.md "$out/stale.md"
if "$py" experiments/results/results_page.py --results "$out/results" --page "$out/stale.md" --check >/dev/null 2>&1; then
  echo "--check passed a page whose tables differ"; exit 1
fi
cmp -s docs/results.md "$out/stale.md" || { echo "--check modified the page"; exit 1; }
echo "ok: $n result files, resumed, rerun identical, tables generated"

# The lambda frontier at smoke size: two points (lambda 10 in both spaces), its table and answer.
"$py" experiments/results/frontier.py digit --quick --out "$out/results/frontier/digit" --runs "$out/frontier" \
  --nullmark "$nullmark" >"$out/log4"
grep -q "raw-lambda10-n6/seed-1/piracy" "$out/log4" || { echo "frontier plan has no raw point:"; cat "$out/log4"; exit 1; }
grep -q '"space": "raw"' "$out/frontier/raw-lambda10-n6/seed-1/owner/config.yaml" 2>/dev/null ||
  grep -q "lambda 10 (raw space)" "$out/frontier/raw-lambda10-n6/seed-1/owner/reproduce.log" ||
  { echo "the raw point did not train in the raw space"; exit 1; }
"$py" experiments/results/results_page.py --results "$out/results" --page "$out/page.md" >/dev/null
grep -q "^| raw | 10 | 6 | 1 | " "$out/page.md" || { echo "no raw row in the frontier table"; exit 1; }
grep -Eq "^\*\*(Yes|No)\.\*\* .*2 measured points" "$out/page.md" || { echo "no frontier answer"; exit 1; }
grep -q "^Measured so far: digit 2 of the 16 its grid has at n = 6; with 1 owner seed(s) each" "$out/page.md" ||
  { echo "the answer does not count the task's points:"; grep "Measured so far" "$out/page.md"; exit 1; }
# The frontier's hundreds of runs draw no figures (its own come from the result files); the reproduce
# plan's runs keep theirs.
grep -q "figures not made (NULLMARK_FIGURES=off)" "$out/frontier/raw-lambda10-n6/seed-1/owner/reproduce.log" ||
  { echo "a frontier run was not told to skip its figures"; exit 1; }
if ls "$out"/frontier/raw-lambda10-n6/seed-1/owner/*.png >/dev/null 2>&1; then
  echo "a frontier run drew figures"; exit 1
fi
is_png "$out/runs/seed-1/clean/training.png"
echo "ok: frontier plan, table and answer"

# The pattern-size study at smoke size: one size, one seed, its claim made on first use (a v2 claim),
# the owner trained with it and the forgery attack run on it; the table lands in watermark.md's copy.
"$py" experiments/results/pattern_size.py --quick --ns 8 --tasks digit --out "$out/results/pattern-size" \
  --runs "$out/ps" --clean-runs "$out/ps-clean" --claims "$out/claims" --nullmark "$nullmark" >"$out/log5"
grep -q '"spec": "nullmark-v2"' "$out/claims/n8.json" || { echo "no v2 claim of size 8"; exit 1; }
[ -f "$out/results/pattern-size/digit/n8/seed-1/forgery.json" ] || { echo "no forgery run at n = 8"; cat "$out/log5"; exit 1; }
"$py" experiments/results/results_page.py --results "$out/results" --page "$out/watermark.md" >/dev/null
grep -q "^| digit | 8 | 1 | " "$out/watermark.md" || { echo "no n = 8 row in the pattern-size table"; exit 1; }
echo "ok: pattern-size plan and table"

# On a GPU machine: every run on the card and the trainings on a data set elsewhere (the plan alone,
# printed; the [cuda] tests run drivers on a card). A data directory that is not there stops it.
"$py" experiments/results/reproduce.py object --device cuda --data "$out" --seeds 1 --keys 10 --nullmark "$nullmark" \
  --print-plan >"$out/plan"
grep -q "^seed-1/train-owner.json .* train experiments/configs/object-watermark.yaml .*--set device=cuda --set data.path=$out" \
  "$out/plan" || { echo "the owner training is not placed on the card and its data:"; cat "$out/plan"; exit 1; }
grep -q "^seed-1/verify-owner.json .* verify .* --device cuda" "$out/plan" || { echo "verify not on the card"; exit 1; }
grep "^seed-1/finetune.json " "$out/plan" | grep -q -- "--set device=cuda" || { echo "attacks not on the card"; exit 1; }
grep "^seed-1/finetune.json " "$out/plan" | grep -q "data.path" && { echo "an attack was given the data path"; exit 1; }
[ "$(grep -c "^seed-1/piracy/" "$out/plan")" -eq 40 ] || { echo "expected 40 piracy runs (2 shares x 2 x 10 keys)"; exit 1; }
grep -q "^seed-1/forgery.json .*forgery-object.yaml" "$out/plan" || { echo "no forgery run for object"; exit 1; }
grep "^seed-1/finetune-bn-eval.json .*finetune-object.yaml" "$out/plan" | grep -q -- "--set finetune.frozen_batchnorm=eval" ||
  { echo "no fine-tuning run with the frozen layers' batch norm in eval mode"; exit 1; }
grep "^seed-1/bnre/data=0.2,epochs=1,model=owner.json .*finetune-object.yaml" "$out/plan" | grep -q -- "--set finetune.modes=\[BNRE\]" ||
  { echo "no run re-estimating the batch-norm statistics alone"; exit 1; }
grep "^seed-1/bnre/data=0.002,epochs=80,model=clean.json .*finetune-object.yaml" "$out/plan" |
  grep -- "--set model=[^ ]*seed-1/clean/model.ckpt" | grep -q -- "--set finetune.epochs=80" ||
  { echo "no re-estimation study run on the clean model"; exit 1; }
[ "$(grep -c "^seed-1/bnre/" "$out/plan")" -eq 12 ] || { echo "expected 12 re-estimation study runs (6 settings x 2 models)"; exit 1; }
# A task whose owner trains a variant of a shipped config: its overrides reach the owner alone.
"$py" experiments/results/reproduce.py traffic-bn-clean --data "$out" --nullmark "$nullmark" --print-plan >"$out/plan-bn"
grep "^seed-1/train-owner.json .*traffic-watermark.yaml" "$out/plan-bn" | grep -q -- "--set watermark.batchnorm_statistics=clean" ||
  { echo "the owner does not train with clean batch-norm statistics:"; cat "$out/plan-bn"; exit 1; }
grep "^seed-1/train-clean.json " "$out/plan-bn" | grep -q "batchnorm_statistics" && { echo "the clean model got the owner's override"; exit 1; }
if msg=$("$py" experiments/results/reproduce.py object --data "$out/absent" --nullmark "$nullmark" --print-plan 2>&1); then
  echo "a missing data directory was accepted"; exit 1
fi
grep -q "needs its data set in $out/absent, which does not exist" <<<"$msg" || { echo "message: $msg"; exit 1; }
echo "ok: a plan placed on the GPU"

# Without --data the CIFAR-10 trainings take the full set the task names, not the configs' 10000-image
# slice: the plan says so where it is built, and where it is not the refusal says how to build it.
if [ -d data/cifar-10-full ]; then
  "$py" experiments/results/reproduce.py object --nullmark "$nullmark" --print-plan >"$out/plan-full"
  grep -q "^seed-1/train-owner.json .*object-watermark.yaml .*--set data.path=data/cifar-10-full" "$out/plan-full" ||
    { echo "the owner training is not on the full set:"; cat "$out/plan-full"; exit 1; }
elif msg=$("$py" experiments/results/reproduce.py object --nullmark "$nullmark" --print-plan 2>&1); then
  echo "the object plan ran without its full data set"; exit 1
else
  grep -q "needs its data set in data/cifar-10-full, which does not exist; .*rebuild_batches.py data/cifar-10-full" \
    <<<"$msg" || { echo "message: $msg"; exit 1; }
fi
echo "ok: the object trainings' data set"
