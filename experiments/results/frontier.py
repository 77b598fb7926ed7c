#!/usr/bin/env python3
"""The lambda frontier: how the stamp value lambda, the pattern size n and the stamping space trade
the owner's accuracy against the watermark's survival and piracy resistance.

Usage: python3 experiments/results/frontier.py TASK [--lambdas L,...] [--spaces S,...] [--ns N,...]
       [--n-sweep] [--seeds N] [--keys-per-seed K] [--out DIR] [--runs DIR] [--quick] [--print-plan]
(normally through scripts/frontier.sh). TASK is digit or fashion.

Without options it runs the whole study: the grid of every lambda in both spaces at n = 6, then the
pattern-size sweep (n = 4, 8, 12) at the one point of that grid which results_page.n_sweep_point
chooses from its results (the fewest pirate successes within 1 point of accuracy cost) and prints.
--n-sweep runs only that sweep; --lambdas, --spaces and --ns run exactly the points they name.

For every point (space, lambda, n) and owner seed it trains the task's watermarked model with the
point's claim (experiments/claims/frontier/SPACE-lambdaL-nN.json: one key and verifier, so every
point has the same signature), then measures on it: FTAL and RTLL (the task's fine-tuning config),
80 % global magnitude pruning, and the piracy grid (5 % and 20 % of the data, with and without clean
samples) over K pirate keys per seed, each also run against the clean model of the same seed (keys
differ between seeds, so three seeds and K = 7 give 21 keys a setting). Seeds are the outer loop
(the whole frontier at seed 1 comes first), then lambda in increasing order, both spaces at each.

Results go to OUT/POINT/seed-S/ (and OUT/clean/seed-S/ for the clean models), one file a run; a run
whose file exists is skipped, so the sweep resumes. A training that diverges is recorded as failed
and its point's attacks are skipped. results_page.py turns OUT into the frontier tables of
docs/results.md and states the answer; results_figures.py draws the frontier.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tasks as T  # noqa: E402
from reproduce import ROOT, Plan  # noqa: E402

LAMBDAS = [1, 3, 10, 30, 100, 300, 1000, 3000]
SPACES = ["normalized", "raw"]
SEEDS = 3  # owner seeds a point
N_SWEEP = [4, 8, 12]  # the pattern sizes measured beside n = 6 at the point results_page.n_sweep_point names
CLAIMS = "experiments/claims/frontier"
FRACTIONS = [0.05, 0.2]


def point_name(space, lam, n):
    return "%s-lambda%g-n%d" % (space, lam, n)


def frontier_plan(task, points, seeds, keys_per_seed, nullmark, out, runs, clean_runs, quick):
    p = Plan(nullmark, out, runs, quick, figures=False)  # its tables and figure come from the result files
    finetune = next(c for name, c, *_ in T.attack_steps(task) if name == "finetune")
    pruning = next(c for name, c, *_ in T.attack_steps(task) if name == "pruning")
    fractions = T.QUICK_PIRACY_FRACTIONS if quick else FRACTIONS
    for seed in range(1, seeds + 1):
        # The clean control models: by default the reproduce plan's (same run directories), trained once.
        clean = p.train("clean/seed-%d/train-clean" % seed, os.path.join(clean_runs, "seed-%d" % seed, "clean"),
                        task.clean, seed)
        keys = range((seed - 1) * keys_per_seed + 1, seed * keys_per_seed + 1)
        for space, lam, n in points:
            name = point_name(space, lam, n)
            claim = os.path.join(CLAIMS, name + ".json")
            sd, rd = "%s/seed-%d/" % (name, seed), os.path.join(runs, name, "seed-%d" % seed)
            owner = p.train(sd + "train-owner", os.path.join(rd, "owner"), task.owner, seed,
                            ["watermark.claim=" + claim], may_fail=True)
            needs = sd + "train-owner"
            p.experiment(sd + "finetune", os.path.join(rd, "finetune"), finetune, owner, seed,
                         ["claim=" + claim, "finetune.modes=[FTAL, RTLL]"], needs)
            p.experiment(sd + "pruning", os.path.join(rd, "pruning"), pruning, owner, seed,
                         ["claim=" + claim, "pruning.scope=global", "pruning.rates=[0.8]"], needs)
            before = len(p.steps)
            p.piracy_grid(sd, rd, task.piracy, owner, clean, seed, fractions, keys, needs)
            for i in range(before, len(p.steps)):  # the owner's claim is the point's claim
                result, cmd, kind, run_dir, need = p.steps[i]
                p.steps[i] = (result, cmd + ["--set", "claim=" + claim], kind, run_dir, need)
    return p


def numbers(text, kind):
    try:
        return [kind(v) for v in text.split(",") if v]
    except ValueError:
        raise argparse.ArgumentTypeError("expected a comma-separated list of numbers, got %r" % text)


def n_sweep(out):
    """(space, lambda) of the pattern-size sweep, chosen from the results in `out` by the rule
    results_page.py states on the page; exits naming what is missing while it cannot be chosen."""
    import results_page as P
    try:
        choice, why = P.n_sweep_point(*P.load_frontier_dir(out))
    except P.BadResults as e:
        sys.exit("frontier: %s" % e)
    if not choice:
        sys.exit("frontier: the n sweep runs %s" % why)
    print("frontier: the n sweep (n = %s) runs at %s space, lambda %g: %s" %
          (", ".join(str(n) for n in N_SWEEP), choice[0], choice[1], why), flush=True)
    return choice


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("task", choices=["digit", "fashion"])
    ap.add_argument("--lambdas", type=lambda t: numbers(t, float), default=None)
    ap.add_argument("--spaces", default=None, help="normalized, raw or both (comma-separated)")
    ap.add_argument("--ns", type=lambda t: numbers(t, int), default=None, help="pattern sizes (4, 6, 8 or 12)")
    ap.add_argument("--n-sweep", action="store_true",
                    help="only the pattern-size sweep, at the point the n = 6 grid's results choose")
    ap.add_argument("--seeds", type=int, default=SEEDS)
    ap.add_argument("--keys-per-seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="smoke size: lambda 10 in both spaces, one seed and key")
    ap.add_argument("--out", default="")
    ap.add_argument("--runs", default="")
    ap.add_argument("--nullmark", default=os.path.join(ROOT, "build", "nullmark"))
    ap.add_argument("--print-plan", action="store_true", help="print every command of the plan and exit")
    args = ap.parse_args()
    chosen = [o for o, v in (("--lambdas", args.lambdas), ("--spaces", args.spaces), ("--ns", args.ns)) if v]
    if args.n_sweep and (chosen or args.quick):
        ap.error("--n-sweep chooses its own point: it does not combine with %s" % ", ".join(chosen or ["--quick"]))
    spaces = [s for s in (args.spaces or ",".join(SPACES)).split(",") if s]
    if any(s not in SPACES for s in spaces):
        ap.error("--spaces: each must be normalized or raw, got %s" % args.spaces)
    if args.seeds < 1 or args.keys_per_seed < 1:
        ap.error("--seeds and --keys-per-seed must be at least 1")
    lambdas, ns = args.lambdas or LAMBDAS, args.ns or [6]
    if args.quick:
        lambdas, ns, args.seeds, args.keys_per_seed = [10], [6], 1, 1
    points = [(s, lam, n) for n in ns for lam in lambdas for s in spaces]  # both spaces at each lambda
    missing = [point_name(*pt) for pt in points if not os.path.exists(
        os.path.join(ROOT, CLAIMS, point_name(*pt) + ".json"))]
    if missing:
        sys.exit("frontier: no claim for %s in %s (the shipped claims cover lambda %s, n 4, 6, 8, 12)" %
                 (", ".join(missing), CLAIMS, ", ".join("%g" % v for v in LAMBDAS)))
    task = T.TASKS[args.task]
    out = os.path.abspath(args.out) if args.out else ""
    runs = os.path.abspath(args.runs) if args.runs else ""
    nullmark = os.path.abspath(args.nullmark)
    os.chdir(ROOT)
    if task.data_dir and not os.path.isdir(task.data_dir):
        sys.exit("frontier: task %s needs its data set in %s, which does not exist" % (task.name, task.data_dir))
    if not os.access(nullmark, os.X_OK) and not args.print_plan:
        sys.exit("frontier: %s is not an executable (build first: scripts/build.sh)" % nullmark)
    mode = "frontier-quick" if args.quick else "frontier"
    runs = runs or os.path.join("runs", mode, task.name)
    out = out or (os.path.join(runs, "results") if args.quick else os.path.join("results", "frontier", task.name))
    # Explicit --runs keeps everything there; by default the clean models are shared with reproduce.sh.
    clean_runs = runs if args.runs else os.path.join("runs", "reproduce-quick" if args.quick else "reproduce",
                                                     task.name)

    def run(pts, what):
        plan = frontier_plan(task, pts, args.seeds, args.keys_per_seed, nullmark, out, runs, clean_runs, args.quick)
        if args.print_plan:
            return plan.print_steps()
        plan.run("frontier %s (%s, %d seed(s), %d pirate keys a seed)" % (task.name, what, args.seeds,
                                                                         args.keys_per_seed))

    if not args.n_sweep:
        run(points, "%d points" % len(points))
    # Without options the whole study: the n = 6 grid, then (once its results choose the point) the n sweep.
    if args.n_sweep or not (chosen or args.quick or args.print_plan or args.seeds != SEEDS):
        space, lam = n_sweep(out)
        run([(space, lam, n) for n in N_SWEEP], "the n sweep")


if __name__ == "__main__":
    main()
