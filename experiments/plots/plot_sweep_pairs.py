#!/usr/bin/env python3
"""Two findings of a sweep against each other, one point per seed, from its sweep_summary.json.

Usage: python3 experiments/plots/plot_sweep_pairs.py SWEEP_DIR --x FINDING --y FINDING
           [--setting TEXT] [--xlabel LABEL] [--ylabel LABEL] [--out FILE]

Each setting of the sweep (its non-seed values) gets one colour; each of its seeds one point at
(x finding, y finding), and the diagonal y = x is drawn. Mean and standard deviation cannot show
whether an outcome splits by seed; this can: for the piracy attack, x = the clean model's accuracy
after the pirate's training (control_model.clean_after) and y = the watermarked model's
(owner_model.clean_after), so points far below the diagonal are keys that ruin the watermarked model
and not a clean one. --setting keeps the settings whose name contains TEXT. The figure goes to
FILE, by default SWEEP_DIR/pairs.png.
"""
import argparse
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def pairs(summary, x, y, setting_filter):
    """{setting: (xs, ys)} from the summary's per-run values, seeds paired by position."""
    by = {}
    for e in summary:
        if e["finding"] in (x, y) and (setting_filter is None or setting_filter in e["setting"]):
            by.setdefault(e["setting"], {})[e["finding"]] = e["values"]
    out = {}
    for setting, f in by.items():
        if x in f and y in f:
            if len(f[x]) != len(f[y]):
                raise SystemExit(f"{setting}: {len(f[x])} runs report {x} but {len(f[y])} report {y}")
            out[setting] = (f[x], f[y])
    if not out:
        raise SystemExit(f"no setting reports both {x} and {y}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sweep_dir")
    ap.add_argument("--x", required=True, help="finding on the x axis, e.g. control_model.clean_after")
    ap.add_argument("--y", required=True, help="finding on the y axis, e.g. owner_model.clean_after")
    ap.add_argument("--setting", help="only settings whose name contains this text")
    ap.add_argument("--xlabel")
    ap.add_argument("--ylabel")
    ap.add_argument("--out", help="output PNG (default: SWEEP_DIR/pairs.png)")
    args = ap.parse_args()
    path = os.path.join(args.sweep_dir, "sweep_summary.json")
    try:
        with open(path) as f:
            summary = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise SystemExit(f"{path}: {e}")
    if summary and "values" not in summary[0]:
        raise SystemExit(f"{path}: no per-run values (written by a nullmark older than the sweep's min/max columns)")
    data = pairs(summary, args.x, args.y, args.setting)

    fig, ax = plt.subplots(figsize=(5.5, 6))
    lo = min(min(xs + ys) for xs, ys in data.values())
    hi = max(max(xs + ys) for xs, ys in data.values())
    pad = 0.03 * (hi - lo or 1)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="grey", lw=0.8, ls="--", label="y = x")
    for setting, (xs, ys) in data.items():
        ax.scatter(xs, ys, s=22, label=f"{setting} ({len(xs)} seeds)")
    ax.set_xlabel(args.xlabel or args.x)
    ax.set_ylabel(args.ylabel or args.y)
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_aspect("equal")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12))  # below: no point hidden
    fig.tight_layout()
    out = args.out or os.path.join(args.sweep_dir, "pairs.png")
    fig.savefig(out, dpi=110)
    print(out)


if __name__ == "__main__":
    main()
