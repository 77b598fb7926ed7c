#!/usr/bin/env python3
"""Runs every model and attack of one task (experiments/results/tasks.py) and collects their results.

Usage: python3 experiments/results/reproduce.py TASK [--quick] [--seeds N] [--keys K] [--out DIR] [--runs DIR]
(normally through scripts/reproduce.sh, which builds nullmark first).

For each owner seed s = 1..N it trains the watermarked owner model and the clean control model with
`seed: s`, verifies the owner's claim on both, runs the task's attack configs on the owner model, and
runs the piracy grid (pirate data share x with/without clean samples x pirate keys 1..K, each against
the owner model and the clean model of the same seed).

Each finished run leaves OUT/seed-S/NAME.json: the command and the run's own results.json (or, for a
training, metrics.json; for a verification, the certificate). A run whose NAME.json exists is
skipped, and an interrupted training continues from its last checkpoint, so the script resumes where
it stopped. Models and full run directories stay under RUNS (not committed).
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tasks as T  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Reproduction:
    def __init__(self, task, args):
        self.task = task
        self.quick = args.quick
        self.seeds = args.seeds or (2 if args.quick else task.default_seeds)
        self.keys = args.keys or (1 if args.quick else task.default_keys)
        mode = "reproduce-quick" if args.quick else "reproduce"
        self.runs = args.runs or os.path.join("runs", mode, task.name)
        self.out = args.out or (os.path.join(self.runs, "results") if args.quick else os.path.join("results", task.name))
        self.nullmark = args.nullmark
        self.plan = []  # (result file, command, kind, run dir)
        self.started = time.time()

    # --- the plan ---------------------------------------------------------------------------
    def add(self, seed, name, command, kind, run_dir):
        self.plan.append((os.path.join(self.out, "seed-%d" % seed, name + ".json"), command, kind, run_dir))

    def train(self, seed, role, config):
        run_dir = os.path.join(self.runs, "seed-%d" % seed, role)
        cmd = [self.nullmark, "train", os.path.join(T.CONFIGS, config), "--set", "seed=%d" % seed, "--output", run_dir,
               "--quiet"]
        for o in T.QUICK_TRAIN if self.quick else []:
            cmd += ["--set", o]
        self.add(seed, "train-" + role, cmd, "train", run_dir)
        return os.path.join(run_dir, "model.ckpt")

    def experiment(self, seed, name, config, model, extra):
        run_dir = os.path.join(self.runs, "seed-%d" % seed, name)
        cmd = [self.nullmark, "run", os.path.join(T.CONFIGS, config), "--set", "model=" + model, "--set",
               "seed=%d" % seed, "--output", run_dir]
        if self.quick:
            cmd += ["--set", "eval_samples=%d" % T.QUICK_EVAL_SAMPLES]
            for o in T.QUICK_ATTACK[T.experiment_of(config)]:
                cmd += ["--set", o]
        for o in extra:
            cmd += ["--set", o]
        self.add(seed, name, cmd, "run", run_dir)

    def build_plan(self):
        t = self.task
        for seed in range(1, self.seeds + 1):
            owner = self.train(seed, "owner", t.owner)
            clean = self.train(seed, "clean", t.clean)
            for role, model in (("owner", owner), ("clean", clean)):
                run_dir = os.path.join(self.runs, "seed-%d" % seed, "verify-" + role)
                cmd = [self.nullmark, "verify", "--model", model, "--claim", t.claim, "--out",
                       os.path.join(run_dir, "certificate.json")]
                if self.quick:
                    cmd += ["--random-keys", "10", "--random-samples", "200"]
                self.add(seed, "verify-" + role, cmd, "verify", run_dir)
            for config in t.attacks:
                self.experiment(seed, T.experiment_of(config), config, owner, [])
            fractions = T.QUICK_PIRACY_FRACTIONS if self.quick else t.piracy_fractions
            for fraction in fractions:
                for clean_samples in (False, True):
                    for key in range(1, self.keys + 1):
                        name = "piracy/data=%g,clean=%s,key=%d" % (fraction, "yes" if clean_samples else "no", key)
                        self.experiment(seed, name, t.piracy, owner,
                                        ["piracy.control_model=" + clean, "piracy.data_fraction=%g" % fraction,
                                         "piracy.clean_samples=" + ("true" if clean_samples else "false"),
                                         "piracy.key_seed=%d" % key])

    # --- running ----------------------------------------------------------------------------
    def run_one(self, result, cmd, kind, run_dir):
        os.makedirs(run_dir, exist_ok=True)
        if kind == "train" and os.path.exists(os.path.join(run_dir, "model.ckpt")):
            cmd = cmd + ["--resume", os.path.join(run_dir, "model.ckpt")]  # an interrupted training continues
        log = os.path.join(run_dir, "reproduce.log")
        with open(log, "w") as f:
            rc = subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT)
        # verify exits 2 for a rejected claim: a result, not a failure.
        if rc != 0 and not (kind == "verify" and rc == 2):
            tail = open(log).read()[-3000:]
            sys.exit("reproduce: %s failed (exit %d); its log %s ends:\n%s" % (" ".join(cmd), rc, log, tail))
        source = {"train": "metrics.json", "run": "results.json", "verify": "certificate.json"}[kind]
        payload = json.load(open(os.path.join(run_dir, source)))
        record = {"command": ["nullmark"] + [os.path.relpath(a, ROOT) if a.startswith(ROOT) else a for a in cmd[1:]],
                  kind: payload}
        os.makedirs(os.path.dirname(result), exist_ok=True)
        tmp = result + ".tmp.%d" % os.getpid()
        with open(tmp, "w") as f:
            json.dump(record, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, result)  # a result file exists only for a finished run

    def run(self):
        self.build_plan()
        todo = [p for p in self.plan if not os.path.exists(p[0])]
        print("reproduce %s: %d seed(s), %d pirate key(s); %d runs, %d done already; results in %s" %
              (self.task.name, self.seeds, self.keys, len(self.plan), len(self.plan) - len(todo), self.out),
              flush=True)
        for i, (result, cmd, kind, run_dir) in enumerate(todo):
            t0 = time.time()
            print("[%d/%d] %s ..." % (i + 1, len(todo), os.path.relpath(result, self.out)), end=" ", flush=True)
            self.run_one(result, cmd, kind, run_dir)
            print("%.0f s (total %.0f min)" % (time.time() - t0, (time.time() - self.started) / 60), flush=True)
        print("reproduce %s: all %d runs done; results in %s" % (self.task.name, len(self.plan), self.out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("task", choices=sorted(T.TASKS))
    ap.add_argument("--quick", action="store_true", help="smoke size: a slice, two seeds, one key (under a minute)")
    ap.add_argument("--seeds", type=int, default=0, help="owner-model seeds (default: the task's, 3 on MNIST)")
    ap.add_argument("--keys", type=int, default=0, help="pirate keys per setting (default: the task's, 20 on MNIST)")
    ap.add_argument("--out", default="", help="results directory (default: results/TASK; quick: under --runs)")
    ap.add_argument("--runs", default="", help="run directories and models (default: runs/reproduce[-quick]/TASK)")
    ap.add_argument("--nullmark", default=os.path.join(ROOT, "build", "nullmark"))
    args = ap.parse_args()
    if args.seeds < 0 or args.keys < 0:
        ap.error("--seeds and --keys must be positive")
    task = T.TASKS[args.task]
    # Paths given on the command line are the caller's; the defaults are the repository's.
    args.out = os.path.abspath(args.out) if args.out else ""
    args.runs = os.path.abspath(args.runs) if args.runs else ""
    args.nullmark = os.path.abspath(args.nullmark)
    os.chdir(ROOT)
    if task.data_dir and not os.path.isdir(task.data_dir):
        sys.exit("reproduce: task %s needs its data set in %s, which does not exist" % (task.name, task.data_dir))
    if not os.access(args.nullmark, os.X_OK):
        sys.exit("reproduce: %s is not an executable (build first: scripts/build.sh)" % args.nullmark)
    Reproduction(task, args).run()


if __name__ == "__main__":
    main()
