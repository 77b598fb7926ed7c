#!/usr/bin/env python3
"""Writes the tables of docs/perf.md and docs/perf-details.md from the measured files in bench/results/: the CPU comparison
with PyTorch (DATE-cpu-digit[-N].json, from NULLMARK_BENCH_RECORD=bench/results bench/compare_cpu.sh,
and DATE-cpu-object.json), the per-layer CPU profiles (DATE-cpu-MODEL-profile-REV.json, from
bench/profile_cpu.sh), the latest CPU per-pass kernel measurements (DATE-cpu-kernels.json, from
build/bench_kernels_cpu --json) and, per GPU, its latest validation run (DATE-CARD*.json, the gpu_validate.json that
bench/gpu_validate.sh writes): end-to-end training throughput against PyTorch, and the kernels
against cuDNN and cuBLAS, in fp32 and on tensor cores (tf32, bf16). The data-parallel scaling measurements (DATE-cpu-scaling-MODEL.json, from
bench/scaling_cpu.sh) give docs/clusters.md its measured table and its communication model.

Usage: python3 bench/perf_tables.py [--results DIR] [--page FILE ...] [--check]
--check writes nothing and exits 1 where the page differs from what the files give (CI runs it).
"""
import argparse
import difflib
import glob
import os
import re
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "experiments", "results"))
import generated_blocks  # noqa: E402
from generated_blocks import table  # noqa: E402

BLOCKS = ("cpu-training", "cpu-profile", "cpu-kernels", "gpu-end-to-end", "gpu-kernels", "gpu-tensor-cores", "cpu-scaling",
          "scaling-model")
# The links of the communication model (docs/clusters.md): latency per message and bandwidth per
# direction, typical figures for each kind of network, not measurements.
LINKS = (("10 Gb Ethernet (TCP)", 30e-6, 1.25e9), ("100 Gb/s InfiniBand", 2e-6, 12.5e9))
RANKS = (2, 4, 8, 16, 64)
LIBRARY = {"cudnn": "cuDNN", "cublas": "cuBLAS"}


class Bad(Exception):
    pass


def load(path):
    return generated_blocks.load_record(path, Bad, "benchmark record")


def need(d, key, kind, path):
    return generated_blocks.field(d, key, kind, path, Bad)


def cpu_table(files):
    rows = []
    for path in files:
        d = load(path)
        nm, pt = need(d, "nullmark", list, path), need(d, "pytorch", list, path)
        if not nm or len(nm) != len(pt) or not all(isinstance(v, (int, float)) and v > 0 for v in nm + pt):
            raise Bad("%s: nullmark and pytorch must list one images/s figure (above 0) per round" % path)
        a, b = statistics.median(nm), statistics.median(pt)
        rounds = ", ".join("%.2f" % (x / y) for x, y in zip(nm, pt))
        paired = statistics.median(x / y for x, y in zip(nm, pt))
        # Records before the cpu_algorithm field ran the direct convolutions.
        model = need(d, "model", str, path)
        algorithm = d.get("cpu_algorithm", "direct")
        if algorithm not in ("direct", "winograd"):
            raise Bad("%s: cpu_algorithm must be direct or winograd, not %r" % (path, algorithm))
        rows.append([need(d, "date", str, path), model if algorithm == "direct" else "%s (%s)" % (model, algorithm),
                     need(d, "machine", str, path),
                     need(d, "threads", int, path),
                     "%.0f" % a, "%.0f (%s)" % (b, need(d, "pytorch_framework", str, path)), "%.2f×" % (a / b),
                     "**%.2f×**" % paired, rounds])
    if not rows:
        return None
    return table(["date", "model", "machine", "threads", "nullmark img/s (median)", "PyTorch img/s (median)",
                  "ratio of medians", "median per-round ratio", "per-round ratios"], rows)


def profile_table(files):
    """Per-layer time of the CPU training step, per model: its two latest profiles (bench/profile_cpu.sh)
    side by side, the earlier first, each headed by the commit it was built from. Layers are matched by
    type in order; a layer only one profile has (a fusion: batchnorm and relu against batchnorm+relu)
    gets a row of its own with a dash for the other, and the settings column shows both where they differ."""
    by_model = {}
    for path in files:
        d = load(path)
        rows = need(d, "profile", list, path)
        for r in rows:
            if not isinstance(r, dict) or not all(isinstance(r.get(k), (int, float)) for k in ("forward_ms", "backward_ms")):
                raise Bad("%s: every profile row needs forward_ms and backward_ms" % path)
            if not isinstance(r.get("layer"), str) or not isinstance(r.get("settings"), str):
                raise Bad("%s: every profile row needs a layer and its settings" % path)
        # Trees measured in one run share its time; their order in the run (position) says which came first.
        position = d.get("position", 0)
        if not isinstance(position, int) or isinstance(position, bool):
            raise Bad("%s: position must be an integer" % path)
        by_model.setdefault(need(d, "model", str, path), []).append((need(d, "recorded", str, path), position, path, d))
    parts = []
    for model in sorted(by_model):
        runs = [r for *_, r in sorted(by_model[model], key=lambda e: e[:3])[-2:]]
        header = ["#", "layer", "settings"]
        for run in runs:
            header += ["%s forward ms" % run["source"], "%s backward ms" % run["source"]]
        figures = lambda r: ["%.2f" % r["forward_ms"], "%.2f" % r["backward_ms"]]
        dash = ["–", "–"]
        rows = []
        first, last = runs[0]["profile"], runs[-1]["profile"]
        if len(runs) == 1:
            rows = [[str(i), r["layer"], r["settings"]] + figures(r) for i, r in enumerate(last)]
        else:
            match = difflib.SequenceMatcher(a=[r["layer"] for r in first], b=[r["layer"] for r in last], autojunk=False)
            for tag, i1, i2, j1, j2 in match.get_opcodes():
                if tag == "equal":
                    for j, (a, b) in enumerate(zip(first[i1:i2], last[j1:j2]), j1):
                        settings = b["settings"] if a["settings"] == b["settings"] else "%s → %s" % (a["settings"],
                                                                                                 b["settings"])
                        rows.append([str(j), b["layer"], settings] + figures(a) + figures(b))
                    continue
                rows += [["", a["layer"], a["settings"]] + figures(a) + dash for a in first[i1:i2]]
                rows += [[str(j), b["layer"], b["settings"]] + dash + figures(b) for j, b in enumerate(last[j1:j2], j1)]
        total = ["", "**total**", ""]
        speed = ["", "images/s (median)", ""]
        for run in runs:
            total += ["**%.1f**" % sum(r["forward_ms"] for r in run["profile"]),
                      "**%.1f**" % sum(r["backward_ms"] for r in run["profile"])]
            speed += ["%.0f" % run["images_per_s"], ""]
        # Records before the "steps" field ran 10 steps a run.
        parts.append("**%s** (%s, %d threads, OpenBLAS %s; median of %d runs of %d steps; %s)\n\n" %
                     (model, runs[-1]["machine"], runs[-1]["threads"], runs[-1]["blas_core"], runs[-1]["rounds"],
                      runs[-1].get("steps", 10), ", ".join(r["date"] for r in runs)) + table(header, rows + [total, speed]))
    return "\n\n".join(parts) if parts else None


def card_of(device):
    return re.sub(r"\s*\(sm_\d+\)$", "", device)


def latest_gpu_runs(files):
    """{card: (path, record)}, the latest validation run of each card (by date, then file name)."""
    by_card = {}
    for path in files:
        d = load(path)
        card = card_of(need(d, "device", str, path))
        key = (need(d, "date", str, path), os.path.basename(path))
        if card not in by_card or key > by_card[card][0]:
            by_card[card] = (key, path, d)
    return {card: (path, d) for card, (_, path, d) in sorted(by_card.items())}


def end_to_end(latest):
    parts = []
    for card, (path, d) in latest.items():
        runs = need(d, "runs", dict, path)
        base = {}
        for name, r in runs.items():
            if isinstance(r, dict) and str(r.get("framework", "")).endswith("eager"):
                base[bool(r.get("watermark"))] = r.get("images_per_s")
        rows = []
        for name, r in sorted(runs.items()):
            if not isinstance(r, dict) or not isinstance(r.get("images_per_s"), (int, float)):
                continue
            eager = base.get(bool(r.get("watermark")))
            graph = "yes" if r.get("cuda_graph") else ""
            rows.append(["`%s`" % name, r.get("framework", "?"), graph, "yes" if r.get("watermark") else "no",
                         "%.0f" % r["images_per_s"], "%.2f×" % (r["images_per_s"] / eager) if eager else "–"])
        parts.append("**%s** (%s, `%s`)\n\n" % (card, d["date"], os.path.relpath(path, ROOT)) +
                     table(["run", "framework", "CUDA graph", "watermark", "clean images/s", "÷ PyTorch eager"], rows))
    return "\n\n".join(parts) if parts else None


def kernels(latest):
    """One table, a column per card: nullmark's ms, with its time ÷ the library's or its bandwidth."""
    cards, order, cells = [], [], {}
    for card, (path, d) in latest.items():
        k = d.get("kernels")
        if not isinstance(k, dict) or not isinstance(k.get("results"), list):
            continue
        cards.append("- **%s**: %s, `%s`; nominal %s TFLOP/s fp32, %s TB/s" %
                     (card, d["date"], os.path.relpath(path, ROOT), k.get("nominal_tflops_fp32", "?"),
                      k.get("nominal_tbps", "?")))
        by = {}
        for r in k["results"]:
            if isinstance(r, dict) and isinstance(r.get("ms"), (int, float)):
                by.setdefault((r.get("kernel"), r.get("shape")), {})[r.get("impl")] = r
        for key, impls in by.items():
            native = impls.get("native")
            lib = next((i for i in LIBRARY if i in impls), None)
            if not native or not (lib or native.get("gbps")):
                continue
            if key not in order:
                order.append(key)
            note = ("%.2f× %s" % (native["ms"] / impls[lib]["ms"], LIBRARY[lib]) if lib else
                    "%.0f GB/s" % native["gbps"])
            cells.setdefault(key, {})[card] = "%.4f (%s)" % (native["ms"], note)
    if not cards:
        return None
    names = [c for c in latest if any(c in v for v in cells.values())]
    rows = [[kernel, shape] + [cells[(kernel, shape)].get(c, "–") for c in names] for kernel, shape in order]
    return "\n".join(cards) + "\n\n" + table(["kernel", "shape"] + ["%s ms" % c for c in names], rows)


def tensor_cores(latest):
    """Per card: the tensor-core rows of its latest run (impl native-tf32, native-bf16 and the libraries
    in the same precision), each with its share of the card's tensor-core peak and the speed-up over
    the fp32 native kernel on the same pass."""
    parts = []
    for card, (path, d) in latest.items():
        k = d.get("kernels")
        if not isinstance(k, dict) or not isinstance(k.get("results"), list):
            continue
        fp32, rows = {}, []
        for r in k["results"]:
            if isinstance(r, dict) and r.get("impl") == "native" and isinstance(r.get("ms"), (int, float)):
                fp32[(r.get("kernel"), r.get("shape"))] = r["ms"]
        for r in k["results"]:
            impl = r.get("impl", "") if isinstance(r, dict) else ""
            if not re.search(r"-(tf32|bf16)$", impl) or not isinstance(r.get("ms"), (int, float)) or r["ms"] <= 0:
                continue
            base = fp32.get((r.get("kernel"), r.get("shape")))
            rows.append([r.get("kernel"), r.get("shape"), impl, "%.4f" % r["ms"], "%.0f" % r.get("gflops", 0),
                         "%.1f %%" % (100 * r.get("share_of_peak", 0)), "%.2f×" % (base / r["ms"]) if base else "–"])
        if rows:
            parts.append("**%s** (%s, `%s`; nominal dense tensor-core peak %s TFLOP/s tf32, %s bf16)\n\n" %
                         (card, d["date"], os.path.relpath(path, ROOT), k.get("nominal_tflops_tf32", "?"),
                          k.get("nominal_tflops_bf16", "?")) +
                         table(["kernel", "shape", "impl", "ms", "GFLOP/s", "share of peak", "÷ native fp32"], rows))
    return "\n\n".join(parts) if parts else None


def scaling_records(files):
    """The latest scaling record per model, with its medians."""
    latest = {}
    for path in files:
        d = load(path)
        model = need(d, "model", str, path)
        runs = {}
        for key in ("one_rank_1_thread", "one_rank_2_threads", "two_ranks_1_thread", "two_ranks_allreduce_s",
                    "two_ranks_wall_s"):
            v = need(d, key, list, path)
            if not v or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and x >= 0 for x in v):
                raise Bad("%s: %s must list one non-negative figure per round" % (path, key))
            runs[key] = statistics.median(v)
        for key in ("batch_size", "parameters", "samples"):
            if need(d, key, int, path) <= 0:
                raise Bad("%s: %s must be positive" % (path, key))
        if runs["one_rank_1_thread"] <= 0 or runs["two_ranks_wall_s"] <= 0:
            raise Bad("%s: a run with no images/s or no wall time" % path)
        if model not in latest or need(d, "date", str, path) >= latest[model][0]["date"]:
            latest[model] = (d, runs, path)
    return [latest[m] for m in sorted(latest)]


def scaling_table(records):
    rows = []
    for d, m, path in records:
        steps = -(-d["samples"] // d["batch_size"])
        rows.append([d["date"], d["model"], d["machine"], d["parameters"], d["batch_size"],
                     "%.0f" % m["one_rank_1_thread"], "%.0f" % m["one_rank_2_threads"],
                     "%.0f" % m["two_ranks_1_thread"],
                     "**%.2f×**" % (m["two_ranks_1_thread"] / m["one_rank_1_thread"]),
                     "%.2f×" % (m["two_ranks_1_thread"] / m["one_rank_2_threads"]),
                     "%.0f%% (%.1f ms)" % (100 * m["two_ranks_allreduce_s"] / m["two_ranks_wall_s"],
                                          1e3 * m["two_ranks_allreduce_s"] / steps)])
    if not rows:
        return None
    return table(["date", "model", "machine", "parameters", "batch", "1 rank, 1 thread img/s", "1 rank, 2 threads img/s",
                  "2 ranks × 1 thread img/s", "2 ranks ÷ 1 rank, 1 thread", "2 ranks ÷ 1 rank, 2 threads",
                  "all-reduce share (per step)"], rows)


def scaling_model(records):
    """Expected efficiency of N ranks, one core each, over a network: compute per step as measured
    here for one rank (divided by N at a fixed global batch, the same per rank at a fixed per-rank
    batch), plus a ring all-reduce of the gradients after the backward pass (no overlap):
    t_comm = 2 (N - 1) (latency + 4 P / (N bandwidth))."""
    parts = []
    for d, m, path in records:
        step = d["batch_size"] / m["one_rank_1_thread"]
        p = d["parameters"]
        rows = []
        for n in RANKS:
            row = [n, "%.2f MB" % (2 * (n - 1) / n * 4 * p / 1e6)]
            for _, latency, bandwidth in LINKS:
                comm = 2 * (n - 1) * (latency + 4 * p / (n * bandwidth))
                fixed = step / n if n <= d["batch_size"] else None
                row.append("%.0f%%" % (100 * fixed / (fixed + comm)) if fixed else "—")
                row.append("%.0f%%" % (100 * step / (step + comm)))
            rows.append(row)
        header = ["ranks", "sent and received per rank per step"]
        for name, _, _ in LINKS:
            header += ["%s, global batch %d" % (name, d["batch_size"]), "%s, batch %d per rank" % (name, d["batch_size"])]
        parts.append("%s model (%d parameters, %.1f ms per step of batch %d on one core, measured %s):\n\n%s"
                     % (d["model"], p, 1e3 * step, d["batch_size"], d["date"], table(header, rows)))
    return "\n\n".join(parts) if parts else None


CONV_PASSES = ("forward", "input gradient", "weight gradient")
MEMORY_PASSES = ("batchnorm+relu forward", "batchnorm+relu backward", "add", "relu forward", "relu backward",
                 "accumulate")


def cpu_kernels_table(files):
    """The latest bench_kernels_cpu record: per convolution shape, each pass's GFLOP/s and share of the
    machine's sgemm rate; per ResNet stage, the memory-bound passes' GB/s."""
    if not files:
        return None
    path = files[-1]
    d = load(path)
    rows = need(d, "results", list, path)
    sgemm = need(d, "sgemm_gflops", float, path)
    conv, memory = {}, {}
    for r in rows:
        if not isinstance(r, dict) or not isinstance(r.get("layer"), str) or not isinstance(r.get("pass"), str):
            raise Bad("%s: every result needs a layer and a pass" % path)
        figure = "gflops" if r["pass"] in CONV_PASSES else "gbytes_per_s" if r["pass"] in MEMORY_PASSES else None
        if figure is None:
            raise Bad("%s: unknown pass %r" % (path, r["pass"]))
        if not isinstance(r.get(figure), (int, float)) or isinstance(r.get(figure), bool):
            raise Bad("%s: %s %s needs a number for %s" % (path, r["layer"], r["pass"], figure))
        target = conv if figure == "gflops" else memory
        target.setdefault((r["layer"], r.get("shape", "")), {})[r["pass"]] = r[figure]
    conv_rows = [[layer, shape] + ["%.0f (%.0f %%)" % (p[k], 100 * p[k] / sgemm) if k in p else "–" for k in CONV_PASSES]
                 for (layer, shape), p in conv.items()]
    memory_rows = [[layer, shape] + ["%.1f" % p[k] if k in p else "–" for k in MEMORY_PASSES]
                   for (layer, shape), p in memory.items()]
    head = ("%s, %d threads, OpenBLAS %s (sgemm 1024³: %.0f GFLOP/s), batch %d; %s"
            % (need(d, "machine", str, path), need(d, "threads", int, path), need(d, "blas_core", str, path), sgemm,
               need(d, "batch", int, path), need(d, "date", str, path)))
    winograd = any("winograd" in layer for layer, _ in conv)
    parts = ["**Convolutions** (%s), GFLOP/s and share of sgemm%s:\n\n%s" % (
        head, " (rows named winograd: the direct form's multiply-adds over the Winograd form's time, so shares above "
        "100 % are its saving)" if winograd else "",
        table(["layer", "shape"] + list(CONV_PASSES), conv_rows))]
    if memory_rows:
        parts.append("**Memory-bound passes** of the residual blocks, GB/s of the fewest bytes each must move:\n\n%s"
                     % table(["stage", "shape"] + list(MEMORY_PASSES), memory_rows))
    return "\n\n".join(parts)


def blocks(results):
    files = sorted(glob.glob(os.path.join(results, "*.json")))
    cpu = [f for f in files if re.search(r"-cpu-[a-z]+(-[0-9]+)?\.json$", f) and not f.endswith("-cpu-kernels.json")]
    profiles = [f for f in files if re.search(r"-cpu-[a-z]+-profile-[^/]*\.json$", f)]
    scaling = [f for f in files if re.search(r"-cpu-scaling-[a-z]+\.json$", f)]
    kernels_cpu = [f for f in files if re.search(r"-cpu-kernels\.json$", f)]
    latest = latest_gpu_runs([f for f in files if f not in cpu and f not in profiles and f not in scaling
                              and f not in kernels_cpu])
    records = scaling_records(scaling)
    out = {}
    for name, text in (("cpu-training", cpu_table(cpu)), ("cpu-profile", profile_table(profiles)),
                       ("cpu-kernels", cpu_kernels_table(kernels_cpu)),
                       ("gpu-end-to-end", end_to_end(latest)),
                       ("gpu-kernels", kernels(latest)), ("gpu-tensor-cores", tensor_cores(latest)),
                       ("cpu-scaling", scaling_table(records)),
                       ("scaling-model", scaling_model(records))):
        if text is not None:
            out[name] = text
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--page", action="append",
                    help="a page to fill (default: docs/perf.md, docs/perf-details.md and docs/clusters.md)")
    ap.add_argument("--check", action="store_true", help="compare only; exit 1 where the page differs")
    args = ap.parse_args()
    try:
        generated = blocks(args.results)
    except Bad as e:
        sys.exit("bench/perf_tables.py: %s" % e)
    pages = args.page or [os.path.join(ROOT, "docs", p) for p in ("perf.md", "perf-details.md", "clusters.md")]
    if not generated_blocks.write_pages(pages, generated, lambda name: name in BLOCKS, args.check,
                                        "bench/perf_tables.py", args.results):
        sys.exit(1)


if __name__ == "__main__":
    main()
