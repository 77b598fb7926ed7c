#!/usr/bin/env bash
# The lambda frontier of one task: scripts/frontier.sh TASK [options of experiments/results/frontier.py]
# TASK is digit or fashion. Trains the task's watermarked model at every (space, lambda) point at
# n = 6, then at n = 4, 8, 12 at the point those results choose (--n-sweep: only that), over the
# owner seeds, and measures FTAL, RTLL, 80 % global pruning and the piracy grid on each;
# writes results/frontier/TASK/ and resumes where it stopped (hours on 2 cores: run it in the
# background, e.g. `nohup scripts/frontier.sh digit > frontier-digit.log &`). Then
# `python3 experiments/results/results_page.py` rewrites the frontier tables of docs/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec python3 experiments/results/frontier.py "$@"
