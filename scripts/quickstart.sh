#!/usr/bin/env bash
# README command (a): install dependencies, build, then the main job on the embedded MNIST: train the
# watermarked "digit" model from the demo claim, verify the claim on it, and check the certificate.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build/nullmark train experiments/configs/digit-watermark.yaml
build/nullmark verify --model runs/digit-watermark/model.ckpt --claim experiments/claims/demo-digit-lambda10.json
build/nullmark verify-cert runs/digit-watermark/certificate.json
