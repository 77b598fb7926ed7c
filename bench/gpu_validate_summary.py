#!/usr/bin/env python3
"""The summary of one bench/gpu_validate.sh call: gpu_validate.json and gpu_validate.md in the work folder,
from whatever steps have finished (the end-to-end runs' JSON, kernels.json, the logs). The issue's three
targets are stated as met or not from that call's own figures.

Usage: bench/gpu_validate_summary.py WORK DEVICE BUILD_RC CUDA_TESTS TRAIN_RC CONV_FORM
Tested on a fixture by tests/cli/gpu_validate_summary.sh, so that a GPU run never finds it broken.
"""
import glob, json, os, sys, datetime
out, device, build_rc, cuda_tests, train_rc, conv_form = sys.argv[1:7]
runs = {}
for f in sorted(glob.glob(os.path.join(out, "*.json"))):
    name = os.path.basename(f)[:-5]
    if name in ("gpu_validate", "kernels"):
        continue
    try:
        runs[name] = json.load(open(f))
    except Exception as e:  # a failed run leaves its reason
        runs[name] = {"error": str(e)}
try:
    kernels = json.load(open(os.path.join(out, "kernels.json")))
except Exception as e:
    kernels = {"error": str(e)}
train_tail = open(os.path.join(out, "train_digit_watermark.log")).read().splitlines()[-3:] if os.path.exists(
    os.path.join(out, "train_digit_watermark.log")) else []
summary = {"date": str(datetime.date.today()), "device": device, "build_rc": build_rc, "cuda_tests": cuda_tests,
           "train_rc": train_rc, "conv_native_for_training": conv_form, "train_tail": train_tail, "runs": runs, "kernels": kernels}
json.dump(summary, open(os.path.join(out, "gpu_validate.json"), "w"), indent=2)
ips = lambda k: runs.get(k, {}).get("images_per_s")
with open(os.path.join(out, "gpu_validate.md"), "w") as md:
    md.write(f"# GPU validation {summary['date']} on {device}\n\nBuild rc {build_rc}; cuda tests: {cuda_tests}; "
             f"native convolutions of the profile and training run: {conv_form}\n\n")
    md.write("## End to end (batch 128, clean images/s)\n\n| run | framework | model | precision | device | watermark | "
             "images/s |\n|---|---|---|---|---|---|---|\n")
    for k, r in runs.items():
        precision = r.get("precision") or (f"amp {r['amp']}" if r.get("amp") else "")
        md.write(f"| {k} | {r.get('framework', '')} | {r.get('model', 'digit')} | {precision} | {r.get('device', '')} | "
                 f"{r.get('watermark', '')} | {r.get('images_per_s', r.get('error', ''))} |\n")
    for wm in ("clean", "watermark"):
        eager = ips("pytorch" + ("watermark" if wm == "watermark" else ""))
        comp = ips("pytorch" + ("watermark" if wm == "watermark" else "") + "compile")
        for suffix in ("", "_graph"):
            ours = ips(f"nullmark_cuda_digit-{wm}{suffix}")
            if ours and eager:
                md.write(f"\n{wm}{' (CUDA graph)' if suffix else ''}: nullmark / PyTorch eager = {ours / eager:.2f}x"
                         + (f", / torch.compile = {ours / comp:.2f}x" if comp else "") + "\n")
    # The three targets, computed from the rows above, so a run's summary states them.
    targets = []
    wm = ips("nullmark_cuda_digit-watermark"), ips("nullmark_cuda_digit-watermark_graph"), ips("pytorchwatermark")
    if (wm[0] or wm[1]) and wm[2]:
        best = max(x for x in wm[:2] if x)
        targets.append(f"end to end >= 2x PyTorch eager (watermarked digit): {best / wm[2]:.2f}x "
                       f"({'met' if best >= 2 * wm[2] else 'not met'})")
    # ResNet-20 and the fast recipe's network: nullmark's best precision against PyTorch's best form on
    # the same card.
    for model, label in (("object", "ResNet-20"), ("fast", "the fast recipe's network")):
        ours = {k: ips(k) for k in runs if k.startswith(f"nullmark_cuda_{model}_") and ips(k)}
        theirs = {k: ips(k) for k in runs if k.startswith(f"pytorchmodel{model}") and ips(k)}
        if ours and theirs:
            best_ours, best_theirs = max(ours, key=ours.get), max(theirs, key=theirs.get)
            ratio = ours[best_ours] / theirs[best_theirs]
            targets.append(f"{label} >= 2x the best PyTorch baseline: {ratio:.2f}x ({'met' if ratio >= 2 else 'not met'}; "
                           f"{best_ours} {ours[best_ours]:.0f} against "
                           f"{runs[best_theirs].get('framework', best_theirs)} {theirs[best_theirs]:.0f} images/s)")
    if isinstance(kernels, dict) and "results" in kernels:
        rows = kernels["results"]
        for r in rows:
            if r["kernel"] == "watermark batch" and r["shape"].startswith("4096"):
                share = r["share_of_peak"]
                targets.append(f"watermark batch kernel >= 80% of nominal bandwidth: {100 * share:.1f}% "
                               f"({'met' if share >= 0.8 else 'not met'}; "
                               f"{100 * r.get('share_of_copy_bandwidth', 0):.1f}% of the measured copy, "
                               f"{100 * r.get('share_of_plain_copies', 0):.1f}% of the same traffic without stamping)")
        ms = {(r["kernel"], r["impl"]): r["ms"] for r in rows}
        passes = sorted({k for k, i in ms if k.startswith(("digit conv", "object")) and (k, "cudnn") in ms})
        within = [k for k in passes if (k, "native") in ms and ms[(k, "native")] <= 1.5 * ms[(k, "cudnn")]]
        if passes:
            targets.append(f"convolution within 1.5x of cuDNN: {len(within)} of {len(passes)} passes "
                           f"({'met' if len(within) == len(passes) else 'not met'})")
            targets += [f"  {k}: native / cuDNN = {ms[(k, 'native')] / ms[(k, 'cudnn')]:.2f}" for k in passes
                        if (k, "native") in ms]
    if targets:
        md.write("\n## Targets\n\n" + "\n".join(f"  - {t.strip()}" if t.startswith("  ") else f"- {t}"
                                                   for t in targets) + "\n")
    if isinstance(kernels, dict) and "results" in kernels:
        md.write(f"\n## Kernels (fp32 unless the impl names tf32 or bf16, whose shares are of the tensor-core peak: "
                 f"{kernels.get('nominal_tflops_tf32', 0)} and {kernels.get('nominal_tflops_bf16', 0)} TFLOP/s; "
                 f"nominal fp32 peak {kernels['nominal_tflops_fp32']} TFLOP/s, {kernels['nominal_tbps']} TB/s; "
                 f"measured copy {kernels['measured_copy_gbps']:.0f} GB/s)\n\n| kernel | shape | impl | ms | GFLOP/s | GB/s | share of peak |\n|---|---|---|---|---|---|---|\n")
        for r in kernels["results"]:
            md.write(f"| {r['kernel']} | {r['shape']} | {r['impl']} | {r['ms']:.4f} | {r['gflops']:.0f} | {r['gbps']:.0f} | {100 * r['share_of_peak']:.1f}% |\n")
    tilings = kernels.get("chunked_tilings") if isinstance(kernels, dict) else None
    if tilings:
        # Per layer: the fastest tiling (which `native` takes, measuring them at run time) against the
        # model's choice (taken inside graph captures), then every tiling by time, with the model's
        # estimate relative to its choice's.
        md.write("\n## Chunked forward: every busy tiling (pipelined staging)\n")
        for layer in dict.fromkeys(t["kernel"] for t in tilings):
            rows = sorted((t for t in tilings if t["kernel"] == layer), key=lambda t: t["ms"])
            chosen = next((t for t in rows if t["model_choice"]), None)
            best = rows[0]
            md.write(f"\n{layer}: fastest {best['tile_filters']} filters x {best['images']} images, {best['ms']:.4f} ms")
            if chosen:
                rank = rows.index(chosen) + 1
                md.write(f"; the model's choice {chosen['tile_filters']} x {chosen['images']}, {chosen['ms']:.4f} ms "
                         f"({chosen['ms'] / best['ms']:.2f}x the fastest, {rank} of {len(rows)})")
            # warps_across: what a warp spans beyond one filter group of one image (shared-memory banks;
            # absent from runs before it was chosen per plan, when it was always images).
            md.write("\n\n| filters a tile | images a block | warps across | blocks | threads | chunks | ms | GFLOP/s | model / its choice's |\n"
                     "|---|---|---|---|---|---|---|---|---|\n")
            for t in rows:
                ratio = t["model_cost"] / chosen["model_cost"] if chosen else float("nan")
                md.write(f"| {t['tile_filters']}{' (model)' if t['model_choice'] else ''} | {t['images']} | "
                         f"{t.get('warps_across', 'images')} | {t['blocks']} | "
                         f"{t['threads']} | {t['chunks']} | {t['ms']:.4f} | {t['gflops']:.0f} | {ratio:.2f} |\n")
    profile = os.path.join(out, "profile.txt")
    if os.path.exists(profile):
        md.write("\n## Per-layer times of the watermarked digit step (bench_train_digit --profile)\n\n```\n"
                 + open(profile).read() + "```\n")
    profile = os.path.join(out, "profile-object.txt")
    if os.path.exists(profile):
        md.write("\n## Per-layer times of the watermarked ResNet-20 step in bf16 (bench_train_digit --profile)\n\n```\n"
                 + open(profile).read() + "```\n")
    md.write("\n## Watermarked training on the GPU\n\n```\n" + "\n".join(train_tail) + "\n```\n")
    run_log = open(os.path.join(out, "gpu_validate.log")).read().splitlines()
    sanitizer = [l for l in run_log if l.startswith("compute-sanitizer")]
    if sanitizer:
        md.write("\n## compute-sanitizer\n\n" + "\n".join(f"- {l}" for l in sanitizer) + "\n")
    drivers = [l for l in run_log if " on the GPU: rc " in l]
    md.write("\n## Experiment drivers on the GPU\n\n" + "\n".join(f"- {l}" for l in drivers) + "\n")
