#!/usr/bin/env bash
# README command (a): install dependencies, build, and run the main job on the embedded MNIST.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build/nullmark train experiments/configs/digit-clean.yaml
build/nullmark eval runs/digit-clean/model.ckpt
