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
