#!/usr/bin/env python3
"""Two findings of a sweep against each other, one point per seed, from its sweep_summary.json.

Usage: python3 experiments/plots/plot_sweep_pairs.py SWEEP_DIR [SWEEP_DIR ...] --x FINDING --y FINDING
           [--label TEXT ...] [--setting TEXT] [--xlabel LABEL] [--ylabel LABEL] [--out FILE]

Each setting of a sweep (its values on the axes that are not seed axes) gets one colour; each of
its runs one point at (x finding, y finding), and the diagonal y = x is drawn. Several sweeps share
one figure, each setting labelled with its sweep's --label (default: the directory's name): for the
piracy attack, a sweep over pirate keys with the data fixed beside sweeps over the data with a key
fixed shows which of the two decides the outcome. Mean and standard deviation cannot show
whether an outcome splits by seed; this can: for the piracy attack, x = the clean model's accuracy
after the pirate's training (control_model.clean_after) and y = the watermarked model's
(owner_model.clean_after), so points far below the diagonal are keys that ruin the watermarked model
and not a clean one. --setting keeps the settings whose name contains TEXT. The figure goes to
FILE, by default the first SWEEP_DIR/pairs.png. Each setting's Pearson correlation between the two
findings is printed, one line a setting, and shown in the legend. --pooled also prints the
correlation over every point together, for sweeps that split one experiment (pirate keys 1-20,
21-60, ...). --free-axes gives each axis its own range and drops the diagonal, for findings on
different scales (a pattern's count of 1 bits against an accuracy). --dodge W shifts the settings'
points sideways by W apart, so that series on whole-number x values do not hide one another (the
correlations use the true values).
"""
import os

import matplotlib

from sweep_values import load_summary, pairs, pearson, sweep_parser

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def describe(setting, xs, ys):
    r = pearson(xs, ys)
    return f"{setting}: {len(xs)} runs, " + ("r undefined (a constant finding)" if r is None else f"r = {r:.3f}")


def main():
    ap = sweep_parser(__doc__)
    ap.add_argument("--label", action="append", help="one per SWEEP_DIR, in order (default: its name)")
    ap.add_argument("--x", required=True, help="finding on the x axis, e.g. control_model.clean_after")
    ap.add_argument("--y", required=True, help="finding on the y axis, e.g. owner_model.clean_after")
    ap.add_argument("--xlabel")
    ap.add_argument("--ylabel")
    ap.add_argument("--out", help="output PNG (default: SWEEP_DIR/pairs.png)")
    ap.add_argument("--pooled", action="store_true", help="also the correlation over all points together")
    ap.add_argument("--free-axes", action="store_true", help="each axis its own range, no diagonal")
    ap.add_argument("--dodge", type=float, default=0.0, help="sideways shift between settings' points (drawing only)")
    args = ap.parse_args()
    labels = args.label or []
    if labels and len(labels) != len(args.sweep_dirs):
        raise SystemExit(f"{len(labels)} --label for {len(args.sweep_dirs)} sweep directories")
    data = {}
    for i, d in enumerate(args.sweep_dirs):
        summary = load_summary(d)
        name = labels[i] if labels else os.path.basename(os.path.normpath(d))
        for setting, xy in pairs(summary, args.x, args.y, args.setting).items():
            if len(args.sweep_dirs) > 1:  # "(seeds only)": the sweep has no other axis, its label says it all
                setting = name if setting == "(seeds only)" else f"{name}: {setting}"
            data[setting] = xy

    fig, ax = plt.subplots(figsize=(5.5, 6))
    if not args.free_axes:
        lo = min(min(xs + ys) for xs, ys in data.values())
        hi = max(max(xs + ys) for xs, ys in data.values())
        pad = 0.03 * (hi - lo or 1)
        ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="grey", lw=0.8, ls="--", label="y = x")
    for i, (setting, (xs, ys)) in enumerate(data.items()):
        print(describe(setting, xs, ys))
        r = pearson(xs, ys)
        shift = (i - (len(data) - 1) / 2) * args.dodge
        ax.scatter([x + shift for x in xs], ys, s=22,
                   label=f"{setting} ({len(xs)} runs" + ("" if r is None else f", r = {r:.2f}") + ")")
    if args.pooled:
        all_x = [v for xs, _ in data.values() for v in xs]
        all_y = [v for _, ys in data.values() for v in ys]
        line = describe("pooled", all_x, all_y)
        print(line)
        ax.plot([], [], " ", label=line.replace(": ", " (", 1) + ")")  # a legend line without a marker
    ax.set_xlabel(args.xlabel or args.x)
    ax.set_ylabel(args.ylabel or args.y)
    if not args.free_axes:
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_ylim(lo - pad, hi + pad)
        ax.set_aspect("equal")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12))  # below: no point hidden
    fig.tight_layout()
    out = args.out or os.path.join(args.sweep_dirs[0], "pairs.png")
    fig.savefig(out, dpi=110)
    print(out)


if __name__ == "__main__":
    main()
