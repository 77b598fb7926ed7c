#!/usr/bin/env python3
"""Pattern size from the forgery attack: what the pattern sizes that put forgery out of reach cost.

Usage: python3 experiments/results/pattern_size.py [--ns N,...] [--seeds N] [--tasks T,...] [--out DIR]
       [--runs DIR] [--clean-runs DIR] [--claims DIR] [--quick] (normally through scripts/pattern_size.sh)

The forgery attack on the MNIST owner models (`scripts/reproduce.sh digit`, results/digit/seed-S/
forgery.json) gives the smallest pattern size n whose forgery costs at least 2^80 signatures, twice:
from the passing agreement and from the cheapest accepted forgery. Unless --ns names them, those
sizes are read from the committed forgery results (for each of the two, the largest over the owner
seeds). For each such n it trains the watermarked MNIST
and Fashion-MNIST models over the owner seeds with a claim of that size
(experiments/claims/pattern-size/nN.json: a v2 claim for 1x28x28 inputs and 10 classes, both tasks'
shape; made on first use with a fresh key whose secret is discarded) and runs the forgery attack on
the MNIST ones, against the clean model of the same seed from the reproduce runs.

Results go to OUT/TASK/nN/seed-S/ (train-owner.json, forgery.json), one file a run, resumably.
results_page.py compares each model with the clean model of its seed (results/TASK/seed-S/
train-clean.json) and writes the pattern-size table of docs/watermark.md.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tasks as T  # noqa: E402
from reproduce import ROOT, Plan  # noqa: E402

CLAIMS = "experiments/claims/pattern-size"
TASKS = ("digit", "fashion")


def sizes_from_forgery(results):
    """The n values the committed forgery results name: for the passing agreement and for the
    cheapest accepted forgery, the largest over the owner seeds (a size must hold for every one)."""
    ns = set()
    for key in ("passing_agreement", "cheapest_accepted"):
        named = []
        for path in sorted(glob.glob(os.path.join(results, "digit", "seed-*", "forgery.json"))):
            f = json.load(open(path))["run"]["findings"]
            if f.get(key) and f[key].get("smallest_n_for_target"):
                named.append(int(f[key]["smallest_n_for_target"]))
        if named:
            ns.add(max(named))
    return sorted(ns)


def claim_for(n, nullmark, claims):
    """The committed claim of size n, made (and its key's secret discarded) if it does not exist."""
    path = os.path.join(claims, "n%d.json" % n)
    if not os.path.exists(path):
        os.makedirs(claims, exist_ok=True)
        with tempfile.TemporaryDirectory() as d:
            subprocess.check_call([nullmark, "keygen", "--out", os.path.join(d, "demo")], stdout=subprocess.DEVNULL)
            subprocess.check_call([nullmark, "sign", "--key", os.path.join(d, "demo.key"), "--verifier",
                                   "nullmark/pattern-size-demo/n%d" % n, "--n", str(n), "--lambda", "10",
                                   "--input", "1,28,28", "--classes", "10", "--out", path], stdout=subprocess.DEVNULL)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ns", default="", help="pattern sizes (default: those the committed forgery results name)")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--tasks", default=",".join(TASKS), help="digit, fashion or both (comma-separated)")
    ap.add_argument("--claims", default="", help="claim directory (default: %s)" % CLAIMS)
    ap.add_argument("--clean-runs", default="", help="run directories of the clean models (default: the "
                    "reproduce plan's, runs/reproduce[-quick]/TASK)")
    ap.add_argument("--quick", action="store_true", help="smoke size: one seed, a training slice")
    ap.add_argument("--out", default="")
    ap.add_argument("--runs", default="")
    ap.add_argument("--results", default=os.path.join(ROOT, "results"), help="where the forgery results are")
    ap.add_argument("--nullmark", default=os.path.join(ROOT, "build", "nullmark"))
    args = ap.parse_args()
    args.out = os.path.abspath(args.out) if args.out else ""
    args.runs = os.path.abspath(args.runs) if args.runs else ""
    args.nullmark = os.path.abspath(args.nullmark)
    args.results = os.path.abspath(args.results)
    args.claims = os.path.abspath(args.claims) if args.claims else os.path.join(ROOT, CLAIMS)
    args.clean_runs = os.path.abspath(args.clean_runs) if args.clean_runs else ""
    tasks = [t for t in args.tasks.split(",") if t]
    if not tasks or any(t not in TASKS for t in tasks):
        ap.error("--tasks: each must be digit or fashion, got %r" % args.tasks)
    os.chdir(ROOT)
    if not os.access(args.nullmark, os.X_OK):
        sys.exit("pattern_size: %s is not an executable (build first: scripts/build.sh)" % args.nullmark)
    try:
        ns = [int(v) for v in args.ns.split(",") if v] if args.ns else sizes_from_forgery(args.results)
    except ValueError:
        ap.error("--ns: expected a comma-separated list of integers, got %r" % args.ns)
    if not ns:
        sys.exit("pattern_size: no pattern sizes: the forgery results in %s name none (run scripts/reproduce.sh "
                 "digit first) and --ns gives none" % args.results)
    if any(n < 1 or n > 28 for n in ns):
        ap.error("--ns: sizes must be in [1, 28] for 28x28 inputs")
    seeds = 1 if args.quick else args.seeds
    for task in tasks:
        t = T.TASKS[task]
        if t.data_dir and not os.path.isdir(t.data_dir):
            sys.exit("pattern_size: task %s needs its data set in %s, which does not exist" % (task, t.data_dir))
        out = args.out and os.path.join(args.out, task) or os.path.join(ROOT, "results", "pattern-size", task)
        runs = args.runs and os.path.join(args.runs, task) or os.path.join(ROOT, "runs", "pattern-size", task)
        clean_runs = (os.path.join(args.clean_runs, task) if args.clean_runs else
                      os.path.join(ROOT, "runs", "reproduce-quick" if args.quick else "reproduce", task))
        p = Plan(args.nullmark, out, runs, args.quick, figures=False)
        for seed in range(1, seeds + 1):
            # The clean control models: the reproduce plan's (same run directories), trained once.
            clean = p.train("clean/seed-%d/train-clean" % seed, os.path.join(clean_runs, "seed-%d" % seed, "clean"),
                            t.clean, seed)
            for n in ns:
                claim = os.path.relpath(claim_for(n, args.nullmark, args.claims), ROOT)
                sd, rd = "n%d/seed-%d/" % (n, seed), os.path.join(runs, "n%d" % n, "seed-%d" % seed)
                owner = p.train(sd + "train-owner", os.path.join(rd, "owner"), t.owner, seed,
                                ["watermark.claim=" + claim], may_fail=True)
                if t.forgery:
                    p.experiment(sd + "forgery", os.path.join(rd, "forgery"), t.forgery, owner, seed,
                                 ["claim=" + claim, "forgery.control_model=" + clean], sd + "train-owner")
        p.run("pattern size %s (n = %s, %d seed(s))" % (task, ", ".join(map(str, ns)), seeds))


if __name__ == "__main__":
    main()
