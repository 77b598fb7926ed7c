#!/usr/bin/env python3
"""One finding of a sweep summarised within groups of another, from its sweep_summary.json.

Usage: python3 experiments/plots/sweep_groups.py SWEEP_DIR [SWEEP_DIR ...] --by FINDING --edges E1,E2,...
           --y FINDING [--below T] [--setting TEXT]

The runs are grouped by the --by finding at the given edges (groups: below E1, [E1, E2), ...,
E_last and above), and each group's count, mean of the --y finding and, with --below T, how many of
its runs have y under T are printed, then the same over all runs with the sample standard deviation
and range. Several sweeps are pooled setting by setting (pirate keys 1-20 and 21-60 as one set of
60). For the piracy attack over pirate keys: --by pirate_watermark.ones --edges 16,18,20
--y owner_model.clean_after --below 0.5 counts the keys that leave the owner's model under 50 %,
by how many of the pirate pattern's bits are 1 (docs/research-leads.md).
"""
import statistics

from sweep_values import load_summary, pairs, sweep_parser


def groups(xs, ys, edges):
    """[(label, ys in the group)] for the groups the edges cut, in order; empty groups kept."""
    bounds = [None] + list(edges) + [None]
    out = []
    for lo, hi in zip(bounds, bounds[1:]):
        label = f"< {hi:g}" if lo is None else (f">= {lo:g}" if hi is None else f"[{lo:g}, {hi:g})")
        out.append((label, [y for x, y in zip(xs, ys) if (lo is None or x >= lo) and (hi is None or x < hi)]))
    return out


def describe(label, ys, below):
    if not ys:
        return f"{label}: 0 runs"
    line = f"{label}: {len(ys)} runs, mean {statistics.fmean(ys):.4g}"
    if below is not None:
        line += f", {sum(y < below for y in ys)} under {below:g}"
    return line


def main():
    ap = sweep_parser(__doc__)
    ap.add_argument("--by", required=True, help="finding that groups the runs, e.g. pirate_watermark.ones")
    ap.add_argument("--edges", required=True, help="group edges, comma-separated and increasing, e.g. 16,18,20")
    ap.add_argument("--y", required=True, help="finding summarised in each group, e.g. owner_model.clean_after")
    ap.add_argument("--below", type=float, help="also count the runs whose y is under this value")
    args = ap.parse_args()
    try:
        edges = [float(e) for e in args.edges.split(",")]
    except ValueError:
        raise SystemExit(f"--edges {args.edges}: numbers separated by commas, e.g. 16,18,20")
    if any(b <= a for a, b in zip(edges, edges[1:])):
        raise SystemExit(f"--edges {args.edges}: the edges must increase")
    pooled = {}
    for d in args.sweep_dirs:
        for setting, (xs, ys) in pairs(load_summary(d), args.by, args.y, args.setting).items():
            px, py = pooled.setdefault(setting, ([], []))
            px.extend(xs)
            py.extend(ys)
    for setting, (xs, ys) in pooled.items():
        print(setting)
        for label, g in groups(xs, ys, edges):
            print("  " + describe(f"{args.by} {label}", g, args.below))
        line = describe("all", ys, args.below)
        if len(ys) > 1:
            line += f", std {statistics.stdev(ys):.4g}, range {min(ys):.4g}-{max(ys):.4g}"
        print("  " + line)


if __name__ == "__main__":
    main()
