"""The batch-norm re-estimation study of a task (tasks.bnre_study): BNRE by the attacker's data and
its passes over it, on the watermarked model and on the clean control of the same seed. Its table
(block TASK-bnre) and its answer (block TASK-bnre-answer, printed by results_page.py) say from how
many re-estimation steps on the owner's claim is broken, with how few images, and what that costs
each model's clean accuracy: where the clean model loses as much, the loss is batch norm's, not the
watermark's."""
from generated_blocks import count, table
from stats import Sample
import tasks as T


def _before(run, bad):
    """Clean accuracy before the re-estimation: the curve's epoch-0 row of mode BNRE."""
    rows = run.get("run", "tables", "finetune_curves", "rows")
    for r in rows if isinstance(rows, list) else []:
        if isinstance(r, list) and len(r) == 5 and r[0] == "BNRE" and r[1] == 0:
            if isinstance(r[2], (int, float)) and not isinstance(r[2], bool):
                return float(r[2])
    raise bad("%s: no BNRE row at epoch 0 with a clean accuracy in run.tables.finetune_curves" % run.path)


def _outcome(run, bad):
    return {"before": _before(run, bad), "after": run.number("run", "findings", "BNRE", "clean"),
            "null": run.number("run", "findings", "BNRE", "null"), "true": run.number("run", "findings", "BNRE", "true"),
            "accepted": run.accepted("run", "findings", "BNRE", "decision"),
            "samples": int(run.number("run", "findings", "attacker_samples")),
            "steps": int(run.number("run", "findings", "attacker_steps")), "path": run.path}


def _same(outcomes, key, bad):
    values = {o[key] for o in outcomes}
    if len(values) != 1:
        raise bad("%s: runs of one setting differ in %s (%s)" % (outcomes[0]["path"], key, sorted(values)))
    return values.pop()


def study_rows(seeds, bad):
    """[{share, epochs, samples, steps, pairs: [(owner outcome, clean outcome) per seed]}], in the
    study's order, for the settings measured on both models of at least one seed."""
    out = []
    for share, epochs in T.BNRE_STUDY:
        names = [T.bnre_result(share, epochs, m) for m in ("owner", "clean")]
        pairs = [tuple(_outcome(seeds[s][n], bad) for n in names) for s in sorted(seeds)
                 if all(n in seeds[s] for n in names)]
        if pairs:
            both = [o for p in pairs for o in p]
            out.append({"share": share, "epochs": epochs, "samples": _same(both, "samples", bad),
                        "steps": _same(both, "steps", bad), "pairs": pairs})
    return out


def _loss(o):
    return o["before"] - o["after"]


def bnre_table(seeds, bad):
    rows = []
    for r in study_rows(seeds, bad):
        owner, clean = [p[0] for p in r["pairs"]], [p[1] for p in r["pairs"]]
        rows.append(["%d (%g %%)" % (r["samples"], 100 * r["share"]), r["epochs"], r["steps"], len(r["pairs"]),
                     Sample([o["before"] for o in owner]).percent(), Sample([o["after"] for o in owner]).percent(),
                     Sample([o["null"] for o in owner]).percent(), Sample([o["true"] for o in owner]).percent(),
                     count([o["accepted"] for o in owner]), Sample([c["before"] for c in clean]).percent(),
                     Sample([c["after"] for c in clean]).percent(),
                     Sample([_loss(o) - _loss(c) for o, c in r["pairs"]]).points()])
    if not rows:
        return None
    return table(["attacker's images", "passes", "steps", "seeds", "watermarked model before", "after", "null after",
                  "true after", "owner's claim kept", "clean model before", "after",
                  "extra loss of the watermarked model"], rows)


def _span(values):
    lo, hi = min(values), max(values)
    return "%.2f points" % (100 * lo) if abs(hi - lo) < 5e-5 else "%.2f to %.2f points" % (100 * lo, 100 * hi)


def bnre_answer(seeds, bad):
    """One sentence: the fewest steps from which on every measured setting breaks the claim on every
    seed, the fewest images among those settings, and the clean-accuracy losses there."""
    rows = sorted(study_rows(seeds, bad), key=lambda r: r["steps"])
    if not rows:
        return None
    breaking = []  # the settings with the most steps, as far down as each breaks the claim on every seed
    for r in reversed(rows):
        if any(o["accepted"] for o, _ in r["pairs"]):
            break
        breaking.insert(0, r)
    kept = [r for r in rows if all(o["accepted"] for o, _ in r["pairs"])]
    most = max(r["steps"] for r in kept) if kept else 0
    kept_text = ("the claim is kept on every seed with at most %d step%s" % (most, "" if most == 1 else "s")
                 if kept else "no setting keeps the claim on every seed")
    if len(kept) == len(rows):
        return ("**Re-estimating batch norm keeps the owner's claim** on every seed in every measured setting, up to "
                "%d steps and down to %d images." % (max(r["steps"] for r in rows), min(r["samples"] for r in rows)))
    if not breaking:
        return ("**No measured number of steps** of batch-norm re-estimation breaks the owner's claim on every "
                "seed in every setting from it on; %s." % kept_text)
    steps = breaking[0]["steps"]
    return ("**From %d re-estimation steps on**, re-estimating batch norm breaks the owner's claim on every seed "
            "in every measured setting, with as few as %d images; the watermarked model's clean accuracy falls by "
            "%s there (means per setting), the clean model's by %s; %s."
            % (steps, min(r["samples"] for r in breaking),
               _span([Sample([_loss(o) for o, _ in r["pairs"]]).mean for r in breaking]),
               _span([Sample([_loss(c) for _, c in r["pairs"]]).mean for r in breaking]), kept_text))
