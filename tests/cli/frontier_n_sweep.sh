#!/usr/bin/env bash
# Where the frontier's pattern-size sweep runs is decided by the program from the n = 6 grid: the point
# with the fewest pirate successes among those costing at most 1 point (ties: the cheaper), the
# cheapest where none is within the budget, and nothing before the grid has all its seeds. frontier.py
# --n-sweep plans that point and results_page.py states it. Synthetic result files, no training.
source "$(dirname "$0")/common.sh"
py=${NULLMARK_PYTHON:-/usr/bin/python3}
grid() {  # SPEC [COST]: "space:lambda:cost_points:pirate_wins ..." for the named points; the others cost
  # COST points (default 0.2) with 10 pirate wins in their 12 runs
  rm -rf "$out/r"
  "$py" - "$out/r/frontier/digit" "$1" "${2:-0.2}" <<'PY'
import json, os, sys
base, spec = sys.argv[1], dict((tuple(p.split(":")[:2]), p.split(":")[2:]) for p in sys.argv[2].split())
def write(path, record):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    json.dump(dict(command=["nullmark"], **record), open(path, "w"))
def decision(ok):
    return {"decision": "accepted" if ok else "rejected"}
for seed in (1, 2, 3):
    write("%s/clean/seed-%d/train-clean.json" % (base, seed), {"train": {"epochs": [{"test_accuracy": 0.9}]}})
for space in ("normalized", "raw"):
    for lam in ("1", "3", "10", "30", "100", "300", "1000", "3000"):
        cost, wins = spec.get((space, lam), (sys.argv[3], "10"))
        wins = int(wins)
        for seed in (1, 2, 3):
            d = "%s/%s-lambda%s-n6/seed-%d/" % (base, space, lam, seed)
            acc = 0.9 - float(cost) / 100
            write(d + "train-owner.json", {"train": {"epochs": [{"test_accuracy": acc, "null_accuracy": acc}]}})
            write(d + "finetune.json", {"run": {"findings": {"FTAL": decision(1), "RTLL": decision(0)}}})
            write(d + "pruning.json", {"run": {"findings": {"global": {"80": decision(0)}}}})
            for i, setting in enumerate(("data=0.05,clean=no", "data=0.05,clean=yes", "data=0.2,clean=no",
                                         "data=0.2,clean=yes")):
                won = (seed - 1) * 4 + i < wins  # the point's wins spread over its 12 runs
                write(d + "piracy/%s,key=%d.json" % (setting, seed), {"run": {"findings": {
                    "owner_model": {"clean_before": acc, "clean_after": acc, "pirate_decision_after":
                                    decision(won)["decision"], "owner_decision_after": "accepted"},
                    "control_model": {"clean_after": 0.9}}}})
PY
}
chosen() {  # EXPECTED ("normalized space, lambda 300"): what frontier.py --n-sweep plans and the page states
  "$py" experiments/results/frontier.py digit --n-sweep --print-plan --out "$out/r/frontier/digit" \
    --runs "$out/runs" >"$out/plan" 2>&1 || { echo "frontier.py --n-sweep failed:"; cat "$out/plan"; exit 1; }
  grep -q "the n sweep (n = 4, 8, 12) runs at $1" "$out/plan" || { echo "expected $1:"; cat "$out/plan"; exit 1; }
  local point="${1%% *}-lambda${1##* }"
  for n in 4 8 12; do
    grep -q "^$point-n$n/seed-3/piracy/data=0.2,clean=yes,key=21.json " "$out/plan" ||
      { echo "no $point-n$n runs planned:"; cat "$out/plan"; exit 1; }
  done
  if grep -v "^clean/" "$out/plan" | grep -v "^frontier:" | grep -qv "^$point-n"; then
    echo "the n sweep plans other points:"; cat "$out/plan"; exit 1
  fi
  printf 'x\n<!-- BEGIN generated: frontier-answer -->\n<!-- END generated: frontier-answer -->\n' >"$out/page.md"
  "$py" experiments/results/results_page.py --results "$out/r" --page "$out/page.md" >"$out/log" 2>&1 ||
    { echo "the generator failed:"; cat "$out/log"; exit 1; }
  local stated="digit: ${1/lambda/λ =}"
  grep -qF "$stated (" "$out/page.md" || { echo "the page does not state $1:"; cat "$out/page.md"; exit 1; }
}
# The fewest wins within the budget; normalized 1000 has none but costs 1.5 points.
grid "normalized:300:0.9:3 raw:100:0.5:4 normalized:1000:1.5:0"
chosen "normalized space, lambda 300"
# A tie on wins goes to the cheaper point, here the larger λ.
grid "normalized:300:0.5:3 raw:100:0.9:3 normalized:1000:1.5:0"
chosen "normalized space, lambda 300"
# Nothing within the budget: the cheapest point.
grid "normalized:1:1.4:12 raw:3:1.25:11 raw:1:2.0:0" 1.5
chosen "raw space, lambda 3"
grep -qF "the cheapest n = 6 point" "$out/page.md" || { echo "the fallback's reason is not stated:"; cat "$out/page.md"; exit 1; }
# An incomplete grid (one seed of one point lacks its pruning run) chooses nothing and says so.
grid "normalized:300:0.9:3"
rm "$out/r/frontier/digit/raw-lambda30-n6/seed-2/pruning.json"
if "$py" experiments/results/frontier.py digit --n-sweep --print-plan --out "$out/r/frontier/digit" \
  --runs "$out/runs" >"$out/plan" 2>&1; then
  echo "an incomplete grid chose a point:"; cat "$out/plan"; exit 1
fi
grep -qF "once the n = 6 grid is complete (15 of its 16 points have 3 seeds)" "$out/plan" ||
  { echo "unexpected refusal:"; cat "$out/plan"; exit 1; }
echo "ok: the n sweep's point is chosen by the program"
