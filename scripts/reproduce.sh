#!/usr/bin/env bash
# Regenerates one task's results: scripts/reproduce.sh TASK [--quick] [--seeds N] [--keys K] [--out DIR]
# TASK is digit, fashion, face, traffic or object. Installs the dependencies and builds nullmark if
# needed, trains the owner and control models over the owner seeds, runs every attack and the piracy
# grid (experiments/results/tasks.py), and writes results/TASK/ (quick: under runs/reproduce-quick/).
# Interrupted, it resumes where it stopped. Then `python3 experiments/results/results_page.py`
# rewrites the tables of docs/results.md from results/.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x build/nullmark ]; then
  scripts/install-deps.sh
  scripts/build.sh
fi
exec python3 experiments/results/reproduce.py "$@"
