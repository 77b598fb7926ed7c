#!/usr/bin/env python3
"""Figures of docs/results.md, drawn from the committed results (results/TASK/).

Usage: python3 experiments/results/results_figures.py [TASK ...] [--results DIR] [--out DIR]

For each task with results it writes, into docs/figures/:
- results-TASK-attacks.png: clean, null and true accuracy after each attack, mean and 95 % interval
  over the owner seeds;
- results-TASK-piracy.png: one point per piracy run (owner seed x pirate key), the clean model's
  accuracy after the attack against the watermarked model's, one panel per pirate setting; points
  below the diagonal are runs where the watermark cost the model more than the attack alone did;
- forgery-TASK.png: the share of forged claims accepted against their bit agreement with the owner's
  pattern, on the owner's and on the clean model, one line per owner seed (docs/watermark.md);
and, where results/frontier/ holds results, results-frontier.png: each (space, lambda, n) point's
accuracy cost against the share of piracy runs the pirate won.
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results_page as P  # noqa: E402
import tasks as T  # noqa: E402
from stats import Sample  # noqa: E402


def tick(label):
    """An attack's name on the x axis: its label without the explanation in parentheses; the
    batch-norm variants take their short names ("FTLL (batch norm eval)") to stay apart from FTLL."""
    return P.SHORT[label] if "batch" in label else label.split(" (")[0]


def attacks_figure(seeds, path):
    outcomes = P.attack_outcomes(seeds)
    if not outcomes:
        return False
    fig, ax = plt.subplots(figsize=(10, 4))
    width = 0.27
    for k, (what, colour) in enumerate((("clean", "tab:blue"), ("null", "tab:orange"), ("true", "tab:green"))):
        samples = [Sample([r[what] if r[what] is not None else 0.0 for r in runs]) for _, _, runs in outcomes]
        xs = [i + (k - 1) * width for i in range(len(outcomes))]
        ax.bar(xs, [100 * s.mean for s in samples], width,
               yerr=[100 * (s.half or 0) for s in samples], capsize=2, label=what, color=colour)
    ax.set_xticks(range(len(outcomes)))
    ax.set_xticklabels([tick(label) for label, _, _ in outcomes], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("accuracy after the attack (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="y", alpha=0.3)
    ax.set_title("Owner's model after each attack (mean and 95 %% interval over %d owner seeds)" % len(seeds),
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def piracy_figure(seeds, path):
    settings = P.piracy_settings(seeds)
    if not settings:
        return False
    keys = sorted(settings)
    fig, axes = plt.subplots(1, len(keys), figsize=(3.4 * len(keys), 3.6), squeeze=False, sharey=True)
    for ax, key in zip(axes[0], keys):
        runs = settings[key]
        control = [100 * r.number("run", "findings", "control_model", "clean_after") for r in runs]
        owner = [100 * r.number("run", "findings", "owner_model", "clean_after") for r in runs]
        ax.plot([0, 100], [0, 100], color="grey", lw=0.8)
        ax.scatter(control, owner, s=12, alpha=0.7)
        ax.set_xlim(0, 100)
        ax.set_ylim(0, 100)
        ax.set_title("%g %% data, %s clean samples" % (100 * key[0], "with" if key[1] else "without"), fontsize=9)
        ax.set_xlabel("clean model after (%)")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("watermarked model after (%)")
    fig.suptitle("Piracy: one point per (owner seed, pirate key)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def forgery_figure(seeds, path):
    runs = P.runs_named(seeds, "forgery")
    if not runs:
        return False
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    for i, r in enumerate(runs):
        levels = [k for k, _ in P.forgery_groups(r) if k.startswith("agreement_")]
        x = [100 * r.number("run", "findings", k, "agreement") for k in levels]
        for model, style in (("owner", "-"), ("control", "--")):
            if not P._has(r.record, ("run", "findings", levels[0], model + "_pass")):
                continue
            y = [100 * r.number("run", "findings", k, model + "_pass") for k in levels]
            label = ("owner's model" if model == "owner" else "clean model") if i == 0 else None
            ax.plot(x, y, style, marker="o", markersize=3, color="C%d" % (0 if model == "owner" else 1), alpha=0.8,
                    label=label)
    ax.set_xlabel("forged pattern's agreement with the owner's bits (%)")
    ax.set_ylabel("forged claims accepted (%)")
    ax.set_ylim(-3, 103)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Forged claims (owner's label and position), one line per owner seed", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def frontier_figure(frontiers, path):
    """Accuracy cost against the share of piracy runs the pirate won, one point per (space, lambda, n)."""
    tasks = [t for t, (points, _) in frontiers.items() if points]
    if not tasks:
        return False
    fig, axes = plt.subplots(1, len(tasks), figsize=(5.2 * len(tasks), 4), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        for r in P.frontier_rows(*frontiers[task]):
            runs = [x for p in r["piracy"] for x in p["success"]]
            if r["cost"] is None or not runs:
                continue
            colour = "tab:blue" if r["space"] == "normalized" else "tab:red"
            marker = {4: "v", 6: "o", 8: "s", 12: "D"}.get(r["n"], "x")
            share = 100.0 * sum(runs) / len(runs)
            ax.errorbar(100 * r["cost"].mean, share, xerr=100 * (r["cost"].half or 0), fmt=marker, color=colour,
                        capsize=2)
            ax.annotate("%g" % r["lambda"], (100 * r["cost"].mean, share), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
        ax.axvline(100 * P.MAX_COST, color="grey", lw=0.8, ls="--")
        ax.set_ylim(-2, 102)
        ax.set_xlabel("accuracy cost of the watermark (points; 95 % interval)")
        ax.set_ylabel("piracy runs the pirate won (%)")
        ax.set_title("%s: blue normalized, red raw; label = λ; marker = n" % task, fontsize=9)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("tasks", nargs="*", default=sorted(T.TASKS))
    ap.add_argument("--results", default=os.path.join(P.ROOT, "results"))
    ap.add_argument("--out", default=os.path.join(P.ROOT, "docs", "figures"))
    args = ap.parse_args()
    for task in args.tasks:
        if task not in T.TASKS:
            sys.exit("results_figures: unknown task %s (known: %s)" % (task, ", ".join(sorted(T.TASKS))))
        try:
            seeds = P.load_task(args.results, task)
            for name, draw in (("results-%s-attacks", attacks_figure), ("results-%s-piracy", piracy_figure),
                               ("forgery-%s", forgery_figure)):
                path = os.path.join(args.out, (name % task) + ".png")
                if seeds and draw(seeds, path):
                    print("wrote", path)
        except P.BadResults as e:
            sys.exit("results_figures: %s" % e)
    try:
        frontiers = {t: P.load_frontier(args.results, t) for t in ("digit", "fashion") if t in args.tasks}
        path = os.path.join(args.out, "results-frontier.png")
        if frontier_figure(frontiers, path):
            print("wrote", path)
    except P.BadResults as e:
        sys.exit("results_figures: %s" % e)


if __name__ == "__main__":
    main()
