"""Per-run values of a sweep's findings, read from its sweep_summary.json, and their correlation:
shared by plot_sweep_pairs.py, sweep_groups.py and sweep_excess.py, without matplotlib."""
import argparse
import json
import os


def sweep_parser(doc):
    """The command line every sweep tool starts from: the sweeps' directories and --setting; the
    description is the first line of the tool's docstring."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("sweep_dirs", nargs="+", metavar="SWEEP_DIR")
    ap.add_argument("--setting", help="only settings whose name contains this text")
    return ap


def load_summary(sweep_dir):
    """The sweep's summary entries; exits with a message naming the file if it cannot be used."""
    path = os.path.join(sweep_dir, "sweep_summary.json")
    try:
        with open(path) as f:
            summary = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise SystemExit(f"{path}: {e}")
    if summary and "values" not in summary[0]:
        raise SystemExit(f"{path}: no per-run values (written by a nullmark older than the sweep's min/max columns)")
    return summary


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


def pearson(xs, ys):
    """Pearson's r of paired values; None where either side is constant (or fewer than 2 pairs)."""
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / (sxx * syy) ** 0.5
