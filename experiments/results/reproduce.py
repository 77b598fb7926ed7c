#!/usr/bin/env python3
"""Runs every model and attack of one task (experiments/results/tasks.py) and collects their results.

Usage: python3 experiments/results/reproduce.py TASK [--quick] [--seeds N] [--keys K] [--out DIR] [--runs DIR]
                                              [--device cpu|cuda] [--data DIR] [--print-plan]
(normally through scripts/reproduce.sh, which builds nullmark first). --device cuda runs every
training, attack and verification on the GPU; --data points the trainings at the data set (the
attacks read the data their model was trained on).

For each owner seed s = 1..N it trains the watermarked owner model and the clean control model with
`seed: s`, verifies the owner's claim on both, runs the task's attack configs on the owner model, and
runs the piracy grid (pirate data share x with/without clean samples x pirate keys 1..K, each against
the owner model and the clean model of the same seed).

Each finished run leaves OUT/seed-S/NAME.json: the command and the run's own results.json (or, for a
training, metrics.json; for a verification, the certificate). A run whose NAME.json exists is
skipped, and an interrupted training continues from its last checkpoint, so the script resumes where
it stopped. Models and full run directories stay under RUNS (not committed): where a run needs a
model that is recorded but not there (a fresh clone), the model is trained again and must repeat
its recorded training exactly, or the script stops (Plan.regenerate).
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


# Fields of a training's metrics that depend on the machine's speed, not on the computation.
TIMING = {"images_per_s", "input_s", "wall_s", "total_train_wall_s"}


def training_difference(recorded, got):
    """The first way two trainings' metrics differ, ignoring timings; None where they agree."""
    if recorded.get("threads") != got.get("threads"):
        return "threads %s, recorded %s" % (got.get("threads"), recorded.get("threads"))
    a, b = recorded.get("epochs", []), got.get("epochs", [])
    if len(a) != len(b):
        return "%d epochs, recorded %d" % (len(b), len(a))
    for ra, rb in zip(a, b):
        for key in sorted((set(ra) | set(rb)) - TIMING):
            if ra.get(key) != rb.get(key):
                return "epoch %s %s %s, recorded %s" % (rb.get("epoch"), key, rb.get(key), ra.get(key))
    return None


def blas_hint(recorded, here):
    """What to try where a training did not repeat: the OpenBLAS kernel of the record, if known."""
    if recorded and here and recorded != here:
        return (" It was recorded with OpenBLAS's %s kernels and this machine's are %s: OPENBLAS_CORETYPE=%s makes "
                "it use the recorded ones (where the CPU has their instructions)." % (recorded, here, recorded.upper()))
    if not recorded:
        return (" Where the records were made with other OpenBLAS kernels (`nullmark info` shows this machine's), "
                "OPENBLAS_CORETYPE=<kernel> makes it use those (where the CPU has their instructions).")
    return ""


class Plan:
    """An ordered list of nullmark runs, each leaving one result file; runs whose file exists are
    skipped, so running a plan again resumes it."""

    def __init__(self, nullmark, out, runs, quick=False, device="cpu", data="", figures=True):
        self.nullmark, self.out, self.runs, self.quick = nullmark, out, runs, quick
        # Where every run computes (`device`), and the data set the trainings read (`data`: its
        # directory, where it is not where the configs say); attacks read the data of their model.
        self.device, self.data = device, data
        # figures=False: the runs draw no figures (NULLMARK_FIGURES=off), for plans of hundreds of short
        # runs whose tables and figures come from the result files alone.
        self.env = dict(os.environ, **({} if figures else {"NULLMARK_FIGURES": "off"}))
        self.steps = []  # (result file, command, kind, run dir, result file of the training it needs)
        self.started = time.time()

    def add(self, result, command, kind, run_dir, needs=None):
        self.steps.append((os.path.join(self.out, result + ".json"), command, kind, run_dir,
                           os.path.join(self.out, needs + ".json") if needs else None))

    def train(self, result, run_dir, config, seed, extra=(), may_fail=False):
        """A training; with may_fail a diverged or failed training is a result (recorded, not fatal)."""
        cmd = [self.nullmark, "train", os.path.join(T.CONFIGS, config), "--set", "seed=%d" % seed, "--output", run_dir,
               "--quiet"]
        for o in list(T.QUICK_TRAIN if self.quick else []) + self.placement(True) + list(extra):
            cmd += ["--set", o]
        self.add(result, cmd, "train-may-fail" if may_fail else "train", run_dir)
        return os.path.join(run_dir, "model.ckpt")

    def placement(self, training):
        """The --set overrides of device and data for a training (training) or an experiment run."""
        sets = ["device=cuda"] if self.device == "cuda" else []
        return sets + (["data.path=" + self.data] if training and self.data else [])

    def experiment(self, result, run_dir, config, model, seed, extra=(), needs=None):
        # sweep=null: one run, whatever sweep a shipped config carries (the plan is the sweep).
        cmd = [self.nullmark, "run", os.path.join(T.CONFIGS, config), "--set", "model=" + model, "--set",
               "seed=%d" % seed, "--set", "sweep=null", "--output", run_dir]
        if self.quick:
            cmd += ["--set", "eval_samples=%d" % T.QUICK_EVAL_SAMPLES]
            for o in T.QUICK_ATTACK[T.experiment_of(config)]:
                cmd += ["--set", o]
        for o in self.placement(False) + list(extra):
            cmd += ["--set", o]
        self.add(result, cmd, "run", run_dir, needs)

    def verify(self, result, run_dir, model, claim):
        cmd = [self.nullmark, "verify", "--model", model, "--claim", claim, "--out",
               os.path.join(run_dir, "certificate.json"), "--force"]  # a rerun replaces its own certificate
        if self.quick:
            cmd += ["--random-keys", "10", "--blind-keys", "10", "--far", "0.1", "--random-samples", "200"]
        if self.device == "cuda":
            cmd += ["--device", "cuda"]
        self.add(result, cmd, "verify", run_dir)

    def piracy_grid(self, prefix, run_prefix, config, owner, clean, seed, fractions, keys, needs=None):
        """Pirate data share x with/without clean samples x pirate keys, each also against `clean`.
        One measurement after the pirate's epoch (and one before): the grid reads the outcome, not
        the curve, and the measurements along the curve would cost more than the attack."""
        for fraction in fractions:
            for clean_samples in (False, True):
                for key in keys:
                    name = "piracy/data=%g,clean=%s,key=%d" % (fraction, "yes" if clean_samples else "no", key)
                    self.experiment(prefix + name, os.path.join(run_prefix, name), config, owner, seed,
                                    ["piracy.control_model=" + clean, "piracy.measurements_per_epoch=1",
                                     "piracy.data_fraction=%g" % fraction,
                                     "piracy.clean_samples=" + ("true" if clean_samples else "false"),
                                     "piracy.key_seed=%d" % key], needs)

    # --- running ----------------------------------------------------------------------------
    def execute(self, cmd, run_dir):
        """Runs cmd from the repository root, its output in RUN_DIR/reproduce.log: (exit code, log path)."""
        os.makedirs(run_dir, exist_ok=True)
        log = os.path.join(run_dir, "reproduce.log")
        with open(log, "w") as f:
            return subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT, env=self.env), log

    def run_one(self, result, cmd, kind, run_dir):
        if kind.startswith("train") and os.path.exists(os.path.join(run_dir, "model.ckpt")):
            cmd = cmd + ["--resume", os.path.join(run_dir, "model.ckpt")]  # an interrupted training continues
        rc, log = self.execute(cmd, run_dir)
        record = {"command": ["nullmark"] + [os.path.relpath(a, ROOT) if a.startswith(ROOT) else a for a in cmd[1:]]}
        if rc != 0 and kind == "train-may-fail":
            # A training that diverges (a large lambda can) is a finding of the sweep, not an error.
            record["failed"] = {"exit": rc, "log_tail": open(log).read()[-600:]}
        elif rc != 0 and not (kind == "verify" and rc == 2):  # verify exits 2 for a rejected claim
            tail = open(log).read()[-3000:]
            sys.exit("reproduce: %s failed (exit %d); its log %s ends:\n%s" % (" ".join(cmd), rc, log, tail))
        else:
            source = {"run": "results.json", "verify": "certificate.json"}.get(kind, "metrics.json")
            record[kind.split("-")[0]] = json.load(open(os.path.join(run_dir, source)))
        os.makedirs(os.path.dirname(result), exist_ok=True)
        tmp = result + ".tmp.%d" % os.getpid()
        with open(tmp, "w") as f:
            json.dump(record, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, result)  # a result file exists only for a finished run
        return "failed" not in record

    def regenerate(self, step):
        """Trains a recorded model again whose checkpoint is gone: run directories are not part of
        the results, so a fresh clone holds a training's result file but not its model. Training is
        deterministic for a thread count and BLAS kernel, so the new model must repeat the recorded
        training curve; where it does not, the plan stops rather than extend results measured on
        one model with attacks on another."""
        result, cmd, kind, run_dir, _ = step
        print("regenerating %s (its result is recorded, its model file is not here) ..." %
              os.path.relpath(os.path.join(run_dir, "model.ckpt"), ROOT), end=" ", flush=True)
        t0 = time.time()
        rc, log = self.execute(cmd, run_dir)
        if rc != 0:
            sys.exit("reproduce: regenerating the model of %s failed (exit %d); its log %s ends:\n%s" %
                     (result, rc, log, open(log).read()[-3000:]))
        recorded = json.load(open(result)).get("train", {})
        got = json.load(open(os.path.join(run_dir, "metrics.json")))
        problem = training_difference(recorded, got)
        if problem:
            # Set aside, so that a later call does not take it for the recorded model.
            os.replace(os.path.join(run_dir, "model.ckpt"), os.path.join(run_dir, "model-differs.ckpt"))
            sys.exit("reproduce: the model trained again for %s does not repeat the recorded training (%s): the "
                     "recorded results were measured with other numerics (another thread count, BLAS kernel or "
                     "code version). It is set aside as %s; remove the results of that model to measure them "
                     "afresh.%s" % (result, problem, os.path.join(run_dir, "model-differs.ckpt"),
                                    blas_hint(recorded.get("blas_core"), got.get("blas_core"))))
        print("%.0f s, the recorded training repeated exactly" % (time.time() - t0), flush=True)

    def print_steps(self):
        """Every command of the plan, after the result file it writes (--print-plan)."""
        for result, cmd, *_ in self.steps:
            print(os.path.relpath(result, self.out), " ".join(cmd))

    def run(self, what):
        todo = [s for s in self.steps if not os.path.exists(s[0])]
        print("%s: %d runs, %d done already; results in %s" % (what, len(self.steps), len(self.steps) - len(todo),
                                                              self.out), flush=True)
        trainings = {os.path.join(s[3], "model.ckpt"): s for s in self.steps if s[2].startswith("train")}
        for i, (result, cmd, kind, run_dir, needs) in enumerate(todo):
            label = os.path.relpath(result, self.out)
            if needs and (not os.path.exists(needs) or "failed" in json.load(open(needs))):
                print("[%d/%d] %s: skipped, its model's training failed" % (i + 1, len(todo), label), flush=True)
                continue
            for model in {a.split("=", 1)[-1] for a in cmd} & set(trainings):
                if not os.path.exists(model) and os.path.exists(trainings[model][0]):
                    self.regenerate(trainings[model])
            t0 = time.time()
            print("[%d/%d] %s ..." % (i + 1, len(todo), label), end=" ", flush=True)
            ok = self.run_one(result, cmd, kind, run_dir)
            print("%.0f s (total %.0f min)%s" % (time.time() - t0, (time.time() - self.started) / 60,
                                                 "" if ok else ", training failed (recorded)"), flush=True)
        print("%s: done; results in %s" % (what, self.out))


def task_plan(task, seeds, keys, nullmark, out, runs, quick, device="cpu", data=""):
    """The reproduce plan of a task: per owner seed, the owner and clean models, both verifications,
    every attack config on the owner model, the piracy grid and the forgery attack."""
    p = Plan(nullmark, out, runs, quick, device, data)
    fractions = T.QUICK_PIRACY_FRACTIONS if quick else task.piracy_fractions
    for seed in range(1, seeds + 1):
        sd, rd = "seed-%d/" % seed, os.path.join(runs, "seed-%d" % seed)
        owner = p.train(sd + "train-owner", os.path.join(rd, "owner"), task.owner, seed, task.owner_sets)
        clean = p.train(sd + "train-clean", os.path.join(rd, "clean"), task.clean, seed)
        for role, model in (("owner", owner), ("clean", clean)):
            p.verify(sd + "verify-" + role, os.path.join(rd, "verify-" + role), model, task.claim)
        for name, config, sets, role in T.attack_steps(task):
            p.experiment(sd + name, os.path.join(rd, name), config, owner if role == "owner" else clean, seed, sets)
        p.piracy_grid(sd, rd, task.piracy, owner, clean, seed, fractions, range(1, keys + 1))
        if task.forgery:
            p.experiment(sd + "forgery", os.path.join(rd, "forgery"), task.forgery, owner, seed,
                         ["forgery.control_model=" + clean])
    return p


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("task", choices=sorted(T.TASKS))
    ap.add_argument("--quick", action="store_true", help="smoke size: a slice, two seeds, one key (under a minute)")
    ap.add_argument("--seeds", type=int, default=0, help="owner-model seeds (default: the task's, 3 on MNIST)")
    ap.add_argument("--keys", type=int, default=0, help="pirate keys per setting (default: the task's, 20 on MNIST)")
    ap.add_argument("--out", default="", help="results directory (default: results/TASK; quick: under --runs)")
    ap.add_argument("--runs", default="", help="run directories and models (default: runs/reproduce[-quick]/TASK)")
    ap.add_argument("--nullmark", default=os.path.join(ROOT, "build", "nullmark"))
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="where every run computes")
    ap.add_argument("--data", default="", help="the task's data set directory, for its trainings (default: the "
                    "configs' path; for object, data/cifar-10-full)")
    ap.add_argument("--print-plan", action="store_true", help="print every command of the plan and exit")
    args = ap.parse_args()
    if args.seeds < 0 or args.keys < 0:
        ap.error("--seeds and --keys must be positive")
    task = T.TASKS[args.task]
    # Paths given on the command line are the caller's; the defaults are the repository's.
    args.out = os.path.abspath(args.out) if args.out else ""
    args.runs = os.path.abspath(args.runs) if args.runs else ""
    args.nullmark = os.path.abspath(args.nullmark)
    args.data = os.path.abspath(args.data) if args.data else ""
    os.chdir(ROOT)
    data_dir = args.data or task.data_dir
    if data_dir and not os.path.isdir(data_dir):
        hint = "; " + task.data_hint if task.data_hint and not args.data else ""
        sys.exit("reproduce: task %s needs its data set in %s, which does not exist%s" % (task.name, data_dir, hint))
    if not os.access(args.nullmark, os.X_OK):
        sys.exit("reproduce: %s is not an executable (build first: scripts/build.sh)" % args.nullmark)
    seeds = args.seeds or (2 if args.quick else task.default_seeds)
    keys = args.keys or (1 if args.quick else task.default_keys)
    runs = args.runs or os.path.join("runs", "reproduce-quick" if args.quick else "reproduce", task.name)
    out = args.out or (os.path.join(runs, "results") if args.quick else os.path.join("results", task.name))
    plan = task_plan(task, seeds, keys, args.nullmark, out, runs, args.quick, args.device,
                     args.data or (task.data_dir if task.train_on_data_dir else ""))
    if args.print_plan:
        return plan.print_steps()
    plan.run("reproduce %s (%d seed(s), %d pirate key(s))" % (task.name, seeds, keys))


if __name__ == "__main__":
    main()
