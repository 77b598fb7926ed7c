#!/usr/bin/env python3
"""The embedding defaults study: the shipped digit recipe against its alternatives (lambda, optimizer,
pattern size, null loss weight), one full MNIST training each at owner seed 1, per-epoch clean, null
and true accuracy. results_page.py writes the table of docs/watermark-defaults.md from the results.

Usage: python3 experiments/results/defaults_study.py [--out results/defaults] [--runs runs/defaults]
       [--nullmark build/nullmark]
The shipped recipe and the clean model are the reproduce plan's seed-1 runs (results/digit/seed-1:
train-owner.json, train-clean.json), so they are not trained again. A run whose result exists is
skipped: running the study again resumes it.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reproduce import ROOT, Plan  # noqa: E402

CLAIMS = "experiments/claims"
# name: (config, overrides), in the table's order (the shipped recipe and the clean model come from
# results/digit/seed-1).
RECIPES = [
    ("lambda100-adam", "digit-watermark.yaml", ["watermark.claim=%s/demo-digit-lambda100.json" % CLAIMS]),
    ("lambda2000-adam", "digit-watermark.yaml", ["watermark.claim=%s/demo-digit-lambda2000.json" % CLAIMS]),
    ("lambda10-sgd", "digit-watermark.yaml", ["train.optimizer.type=sgd", "train.optimizer.lr=0.01"]),
    ("n4", "digit-watermark.yaml", ["watermark.claim=%s/demo-digit-n4-lambda10.json" % CLAIMS]),
    ("n8", "digit-watermark.yaml", ["watermark.claim=%s/demo-digit-n8-lambda10.json" % CLAIMS]),
    ("null-weight-2", "digit-watermark.yaml", ["watermark.null_weight=2"]),
    ("null-weight-0.5", "digit-watermark.yaml", ["watermark.null_weight=0.5"]),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "results", "defaults"))
    ap.add_argument("--runs", default=os.path.join(ROOT, "runs", "defaults"))
    ap.add_argument("--nullmark", default=os.path.join(ROOT, "build", "nullmark"))
    args = ap.parse_args()
    nullmark = os.path.abspath(args.nullmark)
    if not os.access(nullmark, os.X_OK):
        sys.exit("defaults_study: %s is not an executable (build first)" % nullmark)
    os.chdir(ROOT)
    p = Plan(nullmark, os.path.abspath(args.out), os.path.abspath(args.runs))
    for name, config, extra in RECIPES:
        p.train(name, os.path.join(p.runs, name), config, 1, extra, may_fail=True)
    p.run("defaults study")


if __name__ == "__main__":
    main()
