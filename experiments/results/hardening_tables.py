"""The generated blocks of docs/hostile-input.md: the fuzzing runs (results/fuzz/HARNESS.json, written
by scripts/fuzz.sh with NULLMARK_FUZZ_RECORD) and the hostile-input cases (results/hostile/cases.json,
written by hostile_inputs.py). results_page.py calls these; a malformed file is a BadResults."""
import glob
import os

from generated_blocks import field as _field, load_record


def fuzz_table(results_dir, table, bad):
    """The fuzz runs, one row per harness; None when none was recorded."""
    rows = []
    for path in sorted(glob.glob(os.path.join(results_dir, "fuzz", "*.json"))):
        r = load_record(path, bad, "fuzz record")
        seconds = _field(r, "seconds", int, path, bad)
        runs = _field(r, "executions", int, path, bad)
        findings = _field(r, "findings", int, path, bad)
        rows.append(["`%s`" % _field(r, "harness", str, path, bad), "%.1f" % (seconds / 3600.0), "{:,}".format(runs),
                     "{:,}".format(runs // max(seconds, 1)), _field(r, "peak_rss_mb", int, path, bad), findings,
                     "%d → %d" % (_field(r, "seed_inputs", int, path, bad), _field(r, "corpus_after", int, path, bad)),
                     _field(r, "source", str, path, bad), _field(r, "date", str, path, bad)])
    if not rows:
        return None
    return table(["harness", "hours", "executions", "per second", "peak MB", "findings", "corpus (seeds → after)",
                  "source", "date"], rows)


def hostile_table(results_dir, table, bad):
    """The hostile-input cases and the decision on the target; None when not measured."""
    path = os.path.join(results_dir, "hostile", "cases.json")
    if not os.path.exists(path):
        return None
    r = load_record(path, bad)
    target = _field(r, "target_peak_mb", int, path, bad)
    rows, ok = [], True
    for c in _field(r, "cases", list, path, bad):
        code, message, peak = c.get("exit"), c.get("message"), c.get("peak_rss_mb")
        kept = c.get("protected_file_unchanged")
        if not isinstance(code, int) or not isinstance(message, str) or not isinstance(peak, (int, float)):
            raise bad("%s: a case without exit, message or peak_rss_mb" % path)
        ok = ok and code == 1 and message.startswith("error:") and peak < target and kept is not False
        short = message if len(message) <= 110 else message[:107] + "..."
        rows.append([c.get("case", "?"), code, "%.0f" % peak, {None: "–", True: "yes", False: "**no**"}[kept],
                     "`%s`" % short.replace("|", "\\|").replace("`", "'")])
    verdict = ("**Every case exits 1 with a message at under %d MB peak, and nothing is overwritten: %s.**" %
               (target, "yes" if ok else "no"))
    return table(["case", "exit", "peak MB", "target file unchanged", "message"], rows) + "\n\n" + verdict
