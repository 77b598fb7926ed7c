#!/usr/bin/env python3
"""A finding of a sweep's runs less a baseline finding of the runs with the same key: how much of a
relation is the watermark's own.

Usage: python3 experiments/plots/sweep_excess.py SWEEP_DIR [SWEEP_DIR ...] --x FINDING --y FINDING
           --base FINDING [--base-dir DIR ...] [--key FINDING] [--margin T] [--setting TEXT]

Each run's y is paired with the --base finding of the run with the same key (by default the pirate's
key seed) in the --base-dir sweeps (default: the SWEEP_DIRs themselves), and the script prints the
number of pairs, r(x, y), r(x, base), r(x, y - base), r(y, base), the mean of y - base and, with
--margin T, how many runs have y more than T below or above their base; all runs of the sweeps
pooled. For the piracy attack over pirate keys, --x pirate_watermark.ones --y
owner_model.clean_after --base control_model.clean_after asks whether the pirate's count of ones goes
with the damage the owner's watermark adds to what the same key and data do to a clean model; an
owner sweep run without a control model takes its baseline from a sweep that had one, with
--base-dir (docs/research-leads.md).
"""
import statistics

from sweep_values import load_summary, pairs, pearson, sweep_parser


def by_key(dirs, key, finding, setting):
    """{key value: finding value} over every run of the sweeps; a key seen twice must agree."""
    out = {}
    for d in dirs:
        for keys, values in pairs(load_summary(d), key, finding, setting).values():
            for k, v in zip(keys, values):
                if k in out and out[k] != v:
                    raise SystemExit(f"{d}: {key} {k:g} has {finding} {out[k]:g} and {v:g}")
                out[k] = v
    return out


def fmt(r):
    return "undefined (a constant)" if r is None else f"{r:.3f}"


def main():
    ap = sweep_parser(__doc__)
    ap.add_argument("--x", required=True, help="finding the others are correlated with, e.g. pirate_watermark.ones")
    ap.add_argument("--y", required=True, help="finding of interest, e.g. owner_model.clean_after")
    ap.add_argument("--base", required=True, help="baseline finding, e.g. control_model.clean_after")
    ap.add_argument("--base-dir", action="append", help="sweep holding the baseline (repeatable)")
    ap.add_argument("--key", default="pirate_watermark.key_seed", help="finding that pairs the runs")
    ap.add_argument("--margin", type=float, help="also count the runs whose y - base is under -T or over T")
    args = ap.parse_args()
    xs = by_key(args.sweep_dirs, args.key, args.x, args.setting)
    ys = by_key(args.sweep_dirs, args.key, args.y, args.setting)
    base = by_key(args.base_dir or args.sweep_dirs, args.key, args.base, args.setting)
    keys = sorted(k for k in ys if k in xs)
    if not keys:
        raise SystemExit(f"no run reports {args.key}, {args.x} and {args.y}")
    missing = [k for k in keys if k not in base]
    if missing:
        raise SystemExit(f"no baseline {args.base} for {args.key} {', '.join(f'{k:g}' for k in missing[:5])}"
                         + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""))
    x = [xs[k] for k in keys]
    y = [ys[k] for k in keys]
    b = [base[k] for k in keys]
    excess = [a - c for a, c in zip(y, b)]
    print(f"{len(keys)} runs paired by {args.key}")
    print(f"r(x, y) = {fmt(pearson(x, y))}")
    print(f"r(x, base) = {fmt(pearson(x, b))}")
    print(f"r(x, y - base) = {fmt(pearson(x, excess))}")
    print(f"r(y, base) = {fmt(pearson(y, b))}")
    if args.margin is not None:
        below = sum(e < -args.margin for e in excess)
        above = sum(e > args.margin for e in excess)
        print(f"y more than {args.margin:g} below base: {below} runs, above: {above} runs")
    print(f"mean y - base = {statistics.fmean(excess):.4g}")


if __name__ == "__main__":
    main()
