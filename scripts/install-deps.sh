#!/usr/bin/env bash
# Installs the Debian 12 packages nullmark builds and tests with (non-interactive; needs root or sudo).
# Packages already present are not touched, so repeated runs are quick and work offline.
set -euo pipefail
# Build and tests; python3-matplotlib draws the experiment figures; dataset-fashion-mnist is the second
# task of the transfer-learning experiment (/usr/share/datasets/fashion-mnist).
packages=(build-essential cmake pkg-config python3 libyaml-cpp-dev catch2 libsodium-dev libopenblas-openmp-dev
          nlohmann-json3-dev libcli11-dev zlib1g-dev python3-matplotlib dataset-fashion-mnist
          python3-nacl python3-numpy python3-pip  # python/: the spec package and its tests; pip: onnxruntime (test.sh)
          libonnx-dev libprotobuf-dev python3-onnx  # ONNX export and import; the tests read models back in Python
          libopenmpi-dev openmpi-bin  # sweeps over MPI ranks (optional in a build: NULLMARK_MPI=OFF)
          libssl-dev openssl  # RFC 3161 timestamps (OpenSSL TS API); the tests' local TSA (`openssl ts`)
          clang libclang-rt-14-dev libomp-dev)  # clang, its fuzzer and sanitizer runtimes, OpenMP: scripts/fuzz.sh
# Optional extras, e.g. NULLMARK_EXTRAS=python3-torch for the PyTorch baseline of the CPU benchmark.
read -r -a extras <<<"${NULLMARK_EXTRAS:-}"
missing=()
for p in "${packages[@]}" "${extras[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
