#!/usr/bin/env python3
"""Paired before/after comparison of two builds' CPU benchmarks, for judging a kernel change on a
shared machine whose speed drifts by tens of percent within minutes.

Runs the two programs alternately, ROUNDS times (the order flips each round), and prints, per
measurement, the best time of each and the median of the per-round ratios BEFORE / AFTER (above 1:
the change is faster). A drift that slows one round slows both of its runs, so the per-round ratios
stay steady where single timings do not.

Usage:
  bench/ab_cpu.py kernels BEFORE/bench_kernels_cpu AFTER/bench_kernels_cpu [--rounds 8] [--only TEXT] [--batch 128]
  bench/ab_cpu.py train BEFORE/bench_train_digit AFTER/bench_train_digit [--rounds 6] [--config YAML] [--steps 15]
The BEFORE build is typically a worktree at the older commit (`git worktree add /tmp/before REV`,
then `cmake -S /tmp/before -B /tmp/before/build && cmake --build /tmp/before/build --target ...`).
Measure on an otherwise idle machine (docs/perf.md).
"""
import argparse
import re
import statistics
import subprocess
import sys

KERNEL_LINE = re.compile(r"(.{28}) (.{34}) (.+?)\s+([\d.]+) ms")


def kernels(exe, threads, only, batch):
    out = subprocess.run([exe, "--threads", str(threads), "--reps", "5", "--batch", str(batch)], capture_output=True,
                         text=True, check=True)
    times = {}
    for line in out.stdout.splitlines():
        m = KERNEL_LINE.match(line)
        if m and only in line:
            times["%s  %s" % (m.group(1).strip(), m.group(3).strip())] = float(m.group(4))
    return times


def train(exe, threads, config, steps):
    out = subprocess.run([exe, "--config", config, "--steps", str(steps), "--warmup", str(max(3, steps // 10)),
                          "--threads", str(threads)],
                         capture_output=True, text=True, check=True)
    m = re.search(r"([\d.]+) clean images/s", out.stdout)
    if not m:
        sys.exit("ab_cpu: no images/s in the output of %s" % exe)
    return {"training step (ms per image)": 1e3 / float(m.group(1))}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["kernels", "train"])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", default="", help="kernels: only measurements whose line contains this text")
    ap.add_argument("--batch", type=int, default=128, help="kernels: images per call")
    ap.add_argument("--config", default="experiments/configs/object-clean.yaml", help="train: the model to train")
    ap.add_argument("--steps", type=int, default=15,
                    help="train: timed steps per run (the digit model wants a few hundred: 15 of them take 0.2 s)")
    args = ap.parse_args()
    if args.rounds < 1 or args.steps < 1:
        sys.exit("ab_cpu: --rounds and --steps must be at least 1")
    run = (lambda exe: kernels(exe, args.threads, args.only, args.batch)) if args.what == "kernels" else \
        (lambda exe: train(exe, args.threads, args.config, args.steps))
    ratios, best = {}, {}
    for r in range(args.rounds):
        first, second = (args.before, args.after) if r % 2 == 0 else (args.after, args.before)
        got = {first: run(first), second: run(second)}
        for key, before in got[args.before].items():
            after = got[args.after].get(key)
            if after is None:
                continue
            ratios.setdefault(key, []).append(before / after)
            b = best.setdefault(key, [before, after])
            best[key] = [min(b[0], before), min(b[1], after)]
        print("round %d of %d done" % (r + 1, args.rounds), file=sys.stderr)
    if not ratios:
        sys.exit("ab_cpu: no measurement appears in both programs' output")
    width = max(len(k) for k in ratios)
    print("%-*s %12s %12s %14s" % (width, "measurement", "best before", "best after", "median ratio"))
    for key, rs in ratios.items():
        print("%-*s %12.3f %12.3f %13.2fx   (%s)" % (width, key, best[key][0], best[key][1], statistics.median(rs),
                                                  " ".join("%.2f" % x for x in rs)))


if __name__ == "__main__":
    main()
