#!/usr/bin/env bash
# Everything a session lent a GPU should run, in one call (see the device tool's README): build with
# the CUDA backend, run the tests labelled "cuda", and measure the end-to-end baselines on the GPU.
# Inputs come from the repository alone (the GPU machine has no network). Results go to
# ${OUT:-bench-results}/gpu_session.{json,md}. Finishes in a few minutes on an H100.
#
# State of the CUDA backend: only the device query exists so far, so this script measures PyTorch's
# GPU baselines (eager, torch.compile, watermark batches) and nullmark's CPU figure, and records that
# no nullmark GPU kernel was measured. Extend it as CUDA kernels land (issue: CUDA backend).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-bench-results}
mkdir -p "$out"
log="$out/gpu_session.log"
: > "$log"
step() { echo "== $*" | tee -a "$log"; }

step "build with CUDA (build-cuda/)"
export PATH="/usr/local/cuda/bin:$PATH"
cmake -S . -B build-cuda -DCMAKE_BUILD_TYPE=Release -DNULLMARK_CUDA=ON -DNULLMARK_BUILD_TESTS=ON >>"$log" 2>&1 &&
  cmake --build build-cuda -j "$(nproc)" >>"$log" 2>&1
build_rc=$?
device=$(build-cuda/nullmark info 2>/dev/null | sed -n 's/^cuda: //p')
step "device: ${device:-unknown} (build rc $build_rc)"

step "tests labelled cuda"
(cd build-cuda && ctest -L cuda --output-on-failure) >"$out/cuda_tests.log" 2>&1
cuda_tests_rc=$?
cuda_tests=$(grep -Eo "[0-9]+ tests? failed out of [0-9]+|No tests were found" "$out/cuda_tests.log" | head -1)
step "cuda tests: ${cuda_tests:-see cuda_tests.log} (rc $cuda_tests_rc)"

py=python3
step "PyTorch baselines on the GPU (digit model, batch 128)"
for mode in "" "--compile" "--watermark" "--watermark --compile"; do
  name=$(echo "pytorch${mode// /}" | tr -d '-')
  timeout 300 $py bench/pytorch_digit.py --device cuda --steps 300 $mode --json "$out/$name.json" >>"$log" 2>&1 ||
    echo "{\"error\": \"pytorch_digit.py $mode failed, see gpu_session.log\"}" > "$out/$name.json"
done
step "nullmark on this machine's CPU, for reference"
build-cuda/bench_train_digit --steps 200 --json "$out/nullmark_cpu.json" >>"$log" 2>&1

$py - "$out" "$device" "$build_rc" "${cuda_tests:-}" <<'PY'
import glob, json, os, sys, datetime
out, device, build_rc, cuda_tests = sys.argv[1:5]
runs = {}
for f in sorted(glob.glob(os.path.join(out, "*.json"))):
    if f.endswith("gpu_session.json"):
        continue
    try:
        runs[os.path.basename(f)[:-5]] = json.load(open(f))
    except Exception as e:  # a failed run leaves its reason
        runs[os.path.basename(f)[:-5]] = {"error": str(e)}
summary = {"date": str(datetime.date.today()), "device": device, "build_rc": int(build_rc),
           "cuda_tests": cuda_tests, "nullmark_gpu": "not yet measured on a GPU: no CUDA kernels yet", "runs": runs}
json.dump(summary, open(os.path.join(out, "gpu_session.json"), "w"), indent=2)
with open(os.path.join(out, "gpu_session.md"), "w") as md:
    md.write(f"# GPU session {summary['date']} on {device}\n\nBuild rc {build_rc}; cuda tests: {cuda_tests}\n\n")
    md.write("| run | framework | device | watermark | images/s |\n|---|---|---|---|---|\n")
    for k, r in runs.items():
        md.write(f"| {k} | {r.get('framework', '')} | {r.get('device', '')} | {r.get('watermark', '')} | "
                 f"{r.get('images_per_s', r.get('error', ''))} |\n")
print(open(os.path.join(out, "gpu_session.md")).read())
PY
