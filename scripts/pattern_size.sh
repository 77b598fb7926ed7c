#!/usr/bin/env bash
# Pattern size from the forgery attack: scripts/pattern_size.sh [options of experiments/results/pattern_size.py]
# Trains the MNIST and Fashion-MNIST watermarked models over the owner seeds at the pattern sizes the
# committed forgery results name (those whose forgery costs at least 2^80 signatures) and runs the
# forgery attack on the MNIST ones; writes results/pattern-size/ and resumes where it stopped. Needs
# the forgery results of `scripts/reproduce.sh digit`. Then `python3 experiments/results/results_page.py`
# rewrites the pattern-size table of docs/watermark.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec python3 experiments/results/pattern_size.py "$@"
