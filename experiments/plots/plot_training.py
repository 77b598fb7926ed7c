#!/usr/bin/env python3
"""Training curves of one or more `nullmark train` runs, from their metrics.json.

Usage: python3 experiments/plots/plot_training.py RUN_DIR [RUN_DIR ...] [--out FILE]

Left: test accuracy per epoch (clean solid; for watermarked runs also null dashed and true dotted).
Right: training loss per epoch. One colour per run, labelled with the run directory's name. The
figure goes to FILE, by default RUN_DIR/training.png of the first run. `nullmark train` draws it for
its own run at the end; run this to redraw a run in progress or to put a clean and a watermarked
run side by side.
"""
import argparse
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(run_dir):
    with open(os.path.join(run_dir, "metrics.json")) as f:
        epochs = json.load(f).get("epochs", [])
    if not epochs:
        raise SystemExit(f"{run_dir}/metrics.json: no epochs recorded yet")
    return epochs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", metavar="RUN_DIR")
    ap.add_argument("--out", help="output PNG (default: RUN_DIR/training.png of the first run)")
    args = ap.parse_args()
    out = args.out or os.path.join(args.runs[0], "training.png")

    fig, (acc, loss) = plt.subplots(1, 2, figsize=(10, 4))
    for i, run in enumerate(args.runs):
        epochs = load(run)
        x = [e["epoch"] for e in epochs]
        colour = f"C{i}"
        name = os.path.basename(os.path.normpath(run))
        acc.plot(x, [100 * e["test_accuracy"] for e in epochs], color=colour, label=f"{name}: clean")
        if "null_accuracy" in epochs[0]:
            acc.plot(x, [100 * e["null_accuracy"] for e in epochs], color=colour, linestyle="--", label=f"{name}: null")
            acc.plot(x, [100 * e["true_accuracy"] for e in epochs], color=colour, linestyle=":", label=f"{name}: true")
        loss.plot(x, [e["train_loss"] for e in epochs], color=colour, label=name)
    acc.set(xlabel="epoch", ylabel="test accuracy (%)", title="test accuracy")
    loss.set(xlabel="epoch", ylabel="loss", title="training loss (watermarked: all copies)")
    for ax in (acc, loss):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(out)


if __name__ == "__main__":
    main()
