#!/usr/bin/env bash
# Regenerates one task's results: scripts/reproduce.sh TASK [--quick] [--seeds N] [--keys K] [--out DIR]
# TASK is digit, fashion, face, traffic, traffic-bn-clean or object. Installs the dependencies, builds nullmark
# (incremental), trains the owner and control models over the owner seeds, runs every attack and the
# piracy grid (experiments/results/tasks.py), and writes results/TASK/ (quick: under
# runs/reproduce-quick/).
# Interrupted, it resumes where it stopped. Then `python3 experiments/results/results_page.py`
# rewrites the tables of docs/results.md from results/.
set -euo pipefail
cd "$(dirname "$0")/.."
# The build is incremental: quick when nothing changed, and never a stale binary.
scripts/install-deps.sh
scripts/build.sh
exec python3 experiments/results/reproduce.py "$@"
