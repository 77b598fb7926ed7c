"""The generated block of docs/watermark-defaults.md: the defaults study (results/defaults/, written by
defaults_study.py) beside the shipped recipe and the clean model of the reproduce plan's owner seed 1
(results/digit/seed-1), with the targets' decision for the shipped recipe. results_page.py calls it."""
import os

from generated_blocks import load_record as _load

# The targets the shipped recipe is held to: clean accuracy, null accuracy's distance from clean,
# true accuracy (fractions).
MIN_CLEAN, MAX_NULL_GAP, MIN_TRUE = 0.985, 0.01, 0.99
ROWS = [("**λ = 10, Adam 1e-3** (shipped)", None), ("λ = 100, Adam 1e-3", "lambda100-adam"),
        ("λ = 2000, Adam 1e-3", "lambda2000-adam"), ("λ = 10, SGD 0.01, momentum 0.9", "lambda10-sgd"),
        ("n = 4", "n4"), ("n = 8", "n8"), ("null weight 2", "null-weight-2"), ("null weight 0.5", "null-weight-0.5")]
SHOWN_EPOCHS = (1, 4, 8)


def _epochs(record, path, bad):
    epochs = record.get("train", {}).get("epochs") if isinstance(record.get("train"), dict) else None
    if not isinstance(epochs, list) or not epochs:
        raise bad("%s: train.epochs missing or empty" % path)
    return epochs


def _cell(e, path, bad):
    vals = [e.get(k) for k in ("test_accuracy", "null_accuracy", "true_accuracy")]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
        raise bad("%s: an epoch lacks test, null or true accuracy" % path)
    return "%.2f / %.2f / %.2f" % tuple(100 * v for v in vals)


def defaults_table(results_dir, table, bad):
    owner = os.path.join(results_dir, "digit", "seed-1", "train-owner.json")
    clean = os.path.join(results_dir, "digit", "seed-1", "train-clean.json")
    study = os.path.join(results_dir, "defaults")
    if not os.path.exists(owner) or not os.path.isdir(study):
        return None
    rows, shipped = [], None
    for label, name in ROWS:
        path = owner if name is None else os.path.join(study, name + ".json")
        if not os.path.exists(path):
            rows.append([label, "not measured yet", "", ""])
            continue
        record = _load(path, bad)
        if "failed" in record:
            rows.append([label, "training failed (diverged)", "", ""])
            continue
        epochs = _epochs(record, path, bad)
        by_number = {e.get("epoch"): e for e in epochs}
        rows.append([label] + [_cell(by_number[k], path, bad) if k in by_number else "" for k in SHOWN_EPOCHS])
        if name is None:
            shipped = epochs[-1]
    if os.path.exists(clean):
        c = _epochs(_load(clean, bad), clean, bad)[-1].get("test_accuracy")
        if isinstance(c, (int, float)):
            rows.append(["no watermark (digit-clean.yaml)", "", "", "%.2f" % (100 * c)])
    text = table(["recipe (clean / null / true, %)", "epoch 1", "epoch 4", "epoch 8 (final)"], rows)
    if shipped is not None:
        ok = (shipped["test_accuracy"] >= MIN_CLEAN and shipped["null_accuracy"] >= shipped["test_accuracy"] - MAX_NULL_GAP
              and shipped["true_accuracy"] >= MIN_TRUE)
        text += ("\n\nThe shipped recipe meets the targets (clean ≥ %.1f %%, null within %g point of clean, true ≥ %g %%): "
                 "**%s**." % (100 * MIN_CLEAN, 100 * MAX_NULL_GAP, 100 * MIN_TRUE, "yes" if ok else "no"))
    return text
