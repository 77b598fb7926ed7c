#!/usr/bin/env bash
# A task with a figure of the paper to meet (tasks.py: object) gets its decision printed and written
# under its training table, seed by seed, from the owner's last epoch: met only where clean, the null
# gap and true all meet it. With its clean control model the task gets its own rows in the claims
# table, named by its data set.
source "$(dirname "$0")/common.sh"
py=${NULLMARK_PYTHON:-/usr/bin/python3}
page="$out/page.md"
owner() {  # CLEAN NULL TRUE: the owner's last epoch on seed 1
  mkdir -p "$out/r/object/seed-1"
  printf '{"command": ["nullmark"], "train": {"epochs": [{"test_accuracy": 0.5, "null_accuracy": 0.5, "true_accuracy": 1},
    {"test_accuracy": %s, "null_accuracy": %s, "true_accuracy": %s}]}}\n' "$1" "$2" "$3" \
    >"$out/r/object/seed-1/train-owner.json"
}
decision() {  # EXPECTED: met or not met, on the page and in what the generator prints
  printf 'x\n<!-- BEGIN generated: object-training -->\n<!-- END generated: object-training -->\n' >"$page"
  "$py" experiments/results/results_page.py --results "$out/r" --page "$page" >"$out/log" 2>&1 ||
    { echo "the generator failed:"; cat "$out/log"; exit 1; }
  local want="The paper's figure (clean at least 88 %, null within 1 point of clean, true at least 99 %): $1 on"
  grep -qF "object: $want" "$out/log" || { echo "printed, expected '$1':"; cat "$out/log"; exit 1; }
  grep -qF "$want" "$page" || { echo "written, expected '$1':"; cat "$page"; exit 1; }
}
owner 0.8812 0.8731 0.9953; decision "met"
owner 0.8801 0.8701 0.9900; decision "met"       # on every bound: null exactly 1.00 point below clean
owner 0.8799 0.8731 0.9953; decision "not met"   # clean below 88 %
owner 0.8812 0.8700 0.9953; decision "not met"   # null 1.12 points below clean
owner 0.8812 0.8731 0.9899; decision "not met"   # true below 99 %

printf '{"command": ["nullmark"], "train": {"epochs": [{"test_accuracy": 0.8850}]}}\n' >"$out/r/object/seed-1/train-clean.json"
printf 'x\n<!-- BEGIN generated: claims -->\n<!-- END generated: claims -->\n' >"$page"
"$py" experiments/results/results_page.py --results "$out/r" --page "$page" >"$out/log" 2>&1 ||
  { echo "the generator failed:"; cat "$out/log"; exit 1; }
grep -qF "| Null embedding costs little accuracy | CIFAR-10 | cost +0.38 points (1 seed) |" "$page" ||
  { echo "no CIFAR-10 cost row:"; cat "$page"; exit 1; }
grep -qF "claim: Null embedding costs little accuracy (CIFAR-10): yes" "$out/log" ||
  { echo "no CIFAR-10 verdict printed:"; cat "$out/log"; exit 1; }
echo "ok: the paper's CIFAR-10 figure decided, and the claims table has CIFAR-10 rows"

# Fine-tuning with the frozen layers' batch norm kept in eval mode (tasks.py: frozen_batchnorm_kept)
# has rows of its own beside the train-mode attack and counts in the fine-tuning claim: here the
# train-mode FTLL loses the claim and the eval-mode one keeps it, so the claim holds partly.
finetune() {  # NAME DECISION
  printf '{"command": ["nullmark"], "run": {"findings": {"FTLL": {"clean": 0.8, "null": 0.79, "true": 1, "decision": "%s"}}}}\n' \
    "$2" >"$out/r/object/seed-1/$1.json"
}
finetune finetune rejected
finetune finetune-bn-eval accepted
printf 'x\n<!-- BEGIN generated: claims -->\n<!-- END generated: claims -->\n<!-- BEGIN generated: object-attacks -->\n<!-- END generated: object-attacks -->\n' >"$page"
"$py" experiments/results/results_page.py --results "$out/r" --page "$page" >"$out/log" 2>&1 ||
  { echo "the generator failed:"; cat "$out/log"; exit 1; }
grep -qF "| Robust to fine-tuning | CIFAR-10 | claim kept: FTLL 0 of 1; FTLL (batch norm eval) 1 of 1 | kept on every seed | partly |" \
  "$page" || { echo "no partly-kept fine-tuning row:"; cat "$page"; exit 1; }
grep -qF "| FTLL, frozen layers' batch norm in eval mode | \`finetune-bn-eval\` | 1 |" "$page" ||
  { echo "no attack row for the eval-mode fine-tuning:"; cat "$page"; exit 1; }
echo "ok: fine-tuning with batch norm kept has its own rows and counts in the fine-tuning claim"

# The verification claim counts blind-forger keys (the claim's label and position, random bits) as
# "anything else accepted": an accepted owner with one passing blind key does not make it hold.
verify() {  # ROLE DECISION BLIND_PASSING
  printf '{"command": ["nullmark"], "verify": {"body": {"decision": "%s", "measurements": {"null": 0.9, "true": 1},
    "null_keys": {"p_value": 0.0099, "random": {"passing": 0, "count": 100, "true_max": 0.1},
    "blind": {"passing": %s, "count": 100, "true_max": 0.95}}}}}\n' "$2" "$3" >"$out/r/object/seed-1/verify-$1.json"
}
verification_verdict() {  # EXPECTED (yes or no)
  printf 'x\n<!-- BEGIN generated: claims -->\n<!-- END generated: claims -->\n' >"$page"
  "$py" experiments/results/results_page.py --results "$out/r" --page "$page" >"$out/log" 2>&1 ||
    { echo "the generator failed:"; cat "$out/log"; exit 1; }
  grep -qF "claim: The owner's claim verifies; a clean model, random keys and blind-forger keys do not (CIFAR-10): $1" "$out/log" ||
    { echo "verification verdict, expected $1:"; cat "$out/log"; exit 1; }
}
verify owner accepted 0; verify clean rejected 0; verification_verdict yes
grep -qF "random keys passing 0, blind-forger keys passing 0 |" "$page" || { echo "no blind-key count:"; cat "$page"; exit 1; }
verify clean rejected 1; verification_verdict no
echo "ok: blind-forger keys that pass decide the verification claim"

# Piracy has a second row: whether the watermarked model loses more than the clean model attacked
# alike (its 95 % interval above zero in every setting), so a pirate's training that ruins any model
# is not credited to the watermark.
piracy() {  # KEY WATERMARKED_AFTER CONTROL_AFTER
  mkdir -p "$out/r/object/seed-1/piracy"
  printf '{"command": ["nullmark"], "run": {"findings": {"owner_model": {"clean_before": 0.9, "clean_after": %s,
    "pirate_decision_after": "rejected", "owner_decision_after": "accepted"}, "control_model": {"clean_after": %s}}}}\n' \
    "$2" "$3" >"$out/r/object/seed-1/piracy/data=0.05,clean=no,key=$1.json"
}
piracy_verdicts() {  # RUINS CAUSED
  printf 'x\n<!-- BEGIN generated: claims -->\n<!-- END generated: claims -->\n' >"$page"
  "$py" experiments/results/results_page.py --results "$out/r" --page "$page" >"$out/log" 2>&1 ||
    { echo "the generator failed:"; cat "$out/log"; exit 1; }
  grep -qF "claim: A pirate embedding a second watermark ruins the model (CIFAR-10): $1" "$out/log" &&
    grep -qF "claim: The watermark causes that loss: the watermarked model loses more than a clean model attacked alike (CIFAR-10): $2" \
      "$out/log" || { echo "piracy verdicts, expected $1 and $2:"; cat "$out/log"; exit 1; }
}
piracy 1 0.3 0.4; piracy 2 0.2 0.3; piracy_verdicts yes yes   # 10 points more lost on both keys
grep -qF "extra loss of the watermarked model: 5 % data, without clean samples: +10.00 ± 0.00 points" "$page" ||
  { echo "no extra-loss detail:"; cat "$page"; exit 1; }
piracy 2 0.3 0.2; piracy_verdicts yes no    # the clean model lost as much on one key, less on the other
echo "ok: the piracy loss is credited to the watermark only where the clean model attacked alike loses less"
