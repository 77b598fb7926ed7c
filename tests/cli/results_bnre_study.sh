#!/usr/bin/env bash
# The batch-norm re-estimation study (tasks.bnre_study, bnre_study.py): its table pairs each setting
# of the watermarked model with the clean model's, and its answer names the fewest steps from which
# on every setting breaks the claim, which the generator prints. Result files that lack what the
# study reads are refused with the file and the field named.
source "$(dirname "$0")/common.sh"
py=${NULLMARK_PYTHON:-/usr/bin/python3}
page="$out/page.md"
dir="$out/r/traffic/seed-1/bnre"
mkdir -p "$dir"
bnre() {  # SHARE EPOCHS MODEL SAMPLES STEPS AFTER NULL DECISION: one run, clean accuracy 0.9 before
  printf '{"command": ["nullmark"], "run": {"findings": {"BNRE": {"clean": %s, "null": %s, "true": 1, "decision": "%s"},
    "attacker_samples": %s, "attacker_steps": %s}, "tables": {"finetune_curves": {"rows": [["BNRE", 0, 0.9, 0.9, 1],
    ["BNRE", %s, %s, %s, 1]]}}}}\n' "$6" "$7" "$8" "$4" "$5" "$2" "$6" "$7" >"$dir/data=$1,epochs=$2,model=$3.json"
}
generate() {
  printf 'x\n<!-- BEGIN generated: traffic-bnre-answer -->\n<!-- END generated: traffic-bnre-answer -->\n<!-- BEGIN generated: traffic-bnre -->\n<!-- END generated: traffic-bnre -->\n' >"$page"
  "$py" experiments/results/results_page.py --results "$out/r" --page "$page" >"$out/log" 2>&1
}
bnre 0.002 1 owner 40 1 0.9 0.89 accepted;   bnre 0.002 1 clean 40 1 0.9 0.2 rejected
bnre 0.2 1 owner 4000 31 0.88 0.8 rejected;  bnre 0.2 1 clean 4000 31 0.89 0.2 rejected
bnre 0.002 80 owner 40 80 0.85 0.5 rejected; bnre 0.002 80 clean 40 80 0.9 0.2 rejected
generate || { echo "the generator failed:"; cat "$out/log"; exit 1; }
want="**From 31 re-estimation steps on**, re-estimating batch norm breaks the owner's claim on every seed in every measured setting, with as few as 40 images; the watermarked model's clean accuracy falls by 2.00 to 5.00 points there (means per setting), the clean model's by 0.00 to 1.00 points; the claim is kept on every seed with at most 1 step."
grep -qF "traffic: $want" "$out/log" || { echo "answer not printed:"; cat "$out/log"; exit 1; }
grep -qF "$want" "$page" || { echo "answer not written:"; cat "$page"; exit 1; }
grep -qF "| 40 (0.2 %) | 80 | 80 | 1 | 90.00 % | 85.00 % | 50.00 % | 100.00 % | 0 of 1 | 90.00 % | 90.00 % | +5.00 points |" "$page" ||
  { echo "no row for 40 images over 80 passes:"; cat "$page"; exit 1; }
echo "ok: the study's table and answer"

# A setting that keeps the claim above one that breaks it: no step count from which on all break.
bnre 0.002 80 owner 40 80 0.89 0.88 accepted
generate || { echo "the generator failed:"; cat "$out/log"; exit 1; }
grep -qF "traffic: **No measured number of steps** of batch-norm re-estimation breaks" "$out/log" ||
  { echo "expected no breaking step count:"; cat "$out/log"; exit 1; }
echo "ok: a claim kept at the most steps leaves no breaking step count"

# Every setting keeps the claim (an owner whose running statistics are those of clean data).
for f in "$dir"/*model=owner.json; do sed -i 's/"rejected"/"accepted"/' "$f"; done
generate || { echo "the generator failed:"; cat "$out/log"; exit 1; }
grep -qF "traffic: **Re-estimating batch norm keeps the owner's claim** on every seed in every measured setting, up to 80 steps and down to 40 images." \
  "$out/log" || { echo "expected the claim kept everywhere:"; cat "$out/log"; exit 1; }
echo "ok: a claim kept in every setting is said so"

# Hostile results: a run without the attacker's step count, and one without its curve's start.
sed -i 's/"attacker_steps": 80/"steps": 80/' "$dir/data=0.002,epochs=80,model=owner.json"
if generate; then echo "a run without attacker_steps was accepted"; exit 1; fi
grep -qF "data=0.002,epochs=80,model=owner.json: missing run.findings.attacker_steps" "$out/log" ||
  { echo "message:"; cat "$out/log"; exit 1; }
bnre 0.002 80 owner 40 80 0.89 0.88 accepted
sed -i 's/\["BNRE", 0, 0.9, 0.9, 1\]/["BNRE", 1, 0.9, 0.9, 1]/' "$dir/data=0.2,epochs=1,model=clean.json"
if generate; then echo "a run without its curve's start was accepted"; exit 1; fi
grep -qF "data=0.2,epochs=1,model=clean.json: no BNRE row at epoch 0" "$out/log" || { echo "message:"; cat "$out/log"; exit 1; }
echo "ok: result files without what the study reads are refused by name"
