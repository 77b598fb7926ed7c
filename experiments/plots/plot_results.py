#!/usr/bin/env python3
"""Figures of an experiment run, made from its results.json (so they can be re-made without re-running).

Usage: python3 experiments/plots/plot_results.py RUN_DIR

Each table listed in results.json's "figures" whose first column names a series (a string) and whose second column is numeric (epoch,
rate) becomes TABLE.png: one panel per series, one line per remaining numeric column.
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(run_dir):
    results = json.load(open(os.path.join(run_dir, "results.json")))
    wanted = set(results.get("figures", []))
    for name, table in results.get("tables", {}).items():
        if name + ".png" not in wanted:
            continue
        cols = table["columns"]
        rows = [dict(zip(cols, r)) for r in table["rows"]]
        if not rows:
            continue
        if len(cols) < 3 or not isinstance(rows[0][cols[0]], str) or not isinstance(rows[0][cols[1]], (int, float)):
            continue
        series_col, x_col = cols[0], cols[1]
        y_cols = [c for c in cols[2:] if isinstance(rows[0][c], (int, float))]
        series = list(dict.fromkeys(r[series_col] for r in rows))
        fig, axes = plt.subplots(1, len(series), figsize=(4.2 * len(series), 3.4), squeeze=False, sharey=True)
        for ax, s in zip(axes[0], series):
            sub = [r for r in rows if r[series_col] == s]
            for c in y_cols:
                ax.plot([r[x_col] for r in sub], [100 * r[c] for r in sub], marker="o", markersize=3, label=c)
            ax.set_title(s)
            ax.set_xlabel(x_col)
            ax.grid(alpha=0.3)
        axes[0][0].set_ylabel("accuracy (%)")
        axes[0][-1].legend(fontsize=8)
        fig.suptitle(table.get("title", name), fontsize=10)
        fig.tight_layout()
        out = os.path.join(run_dir, name + ".png")
        fig.savefig(out, dpi=110)
        print("wrote", out)


def plot_masks(run_dir):
    """masks.json (Neural Cleanse): one panel per label, the real pattern square outlined in red."""
    path = os.path.join(run_dir, "masks.json")
    if not os.path.exists(path):
        return
    m = json.load(open(path))
    h, w = m["shape"]
    wm = m["watermark"]
    labels = sorted(m["masks"], key=int)
    fig, axes = plt.subplots(1, len(labels), figsize=(1.6 * len(labels), 2.0), squeeze=False)
    for ax, label in zip(axes[0], labels):
        img = [m["masks"][label][r * w:(r + 1) * w] for r in range(h)]
        ax.imshow(img, cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"label {label}" + (" (y_W)" if int(label) == wm["label"] else ""), fontsize=8)
        ax.add_patch(plt.Rectangle((wm["col"] - 0.5, wm["row"] - 0.5), wm["n"], wm["n"], fill=False, color="red", lw=1))
        ax.axis("off")
    fig.suptitle("Neural Cleanse masks (red: the real watermark square)", fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(run_dir, "masks.png"), dpi=110)
    print("wrote", os.path.join(run_dir, "masks.png"))


if __name__ == "__main__":
    plot_masks(sys.argv[1])
    main(sys.argv[1])
