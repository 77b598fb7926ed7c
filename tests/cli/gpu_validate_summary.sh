#!/usr/bin/env bash
# bench/gpu_validate_summary.py on a fixture of one GPU validation run's files: the targets computed from the
# figures (met / not met), failed and unreadable runs listed, and a summary written even when only the
# log exists (the call publishes after every step, the build included). Runs without a GPU.
# Usage: gpu_validate_summary.sh REPOSITORY
set -euo pipefail
repo=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
summary="$repo/bench/gpu_validate_summary.py"
expect() {  # FILE TEXT: FILE holds TEXT as a line's substring
  grep -qF -- "$2" "$1" || { echo "$1 lacks: $2"; echo "--- $1:"; cat "$1"; exit 1; }
}

# Right after the build: nothing but the log.
mkdir "$out/early"
: >"$out/early/gpu_validate.log"
python3 "$summary" "$out/early" "" 0 "" "" auto
expect "$out/early/gpu_validate.md" "Build rc 0"
python3 -c "import json, sys; s = json.load(open(sys.argv[1])); assert s['runs'] == {}, s" "$out/early/gpu_validate.json"

# A whole call: end to end 160000 / 70000 = 2.29x; watermark kernel 79 % of nominal; one of two
# convolution passes within 1.5x of cuDNN.
w="$out/full"
mkdir "$w"
echo '{"framework": "nullmark", "images_per_s": 150000}' >"$w/nullmark_cuda_digit-watermark.json"
echo '{"framework": "nullmark", "images_per_s": 160000}' >"$w/nullmark_cuda_digit-watermark_graph.json"
echo '{"framework": "pytorch 2.11 eager", "images_per_s": 70000}' >"$w/pytorchwatermark.json"
echo '{"error": "pytorch_train.py --watermark --compile failed, see gpu_validate.log"}' >"$w/pytorchwatermarkcompile.json"
echo '{"images_per_s": ' >"$w/nullmark_cuda_digit-clean.json"  # cut off mid-write
# ResNet-20: nullmark's best (bf16, 30000) against PyTorch's best form (24000): 1.25x.
echo '{"framework": "nullmark", "model": "object", "precision": "fp32", "images_per_s": 9000}' >"$w/nullmark_cuda_object_fp32.json"
echo '{"framework": "nullmark", "model": "object", "precision": "bf16", "images_per_s": 30000}' >"$w/nullmark_cuda_object_bf16.json"
echo '{"framework": "pytorch 2.11 eager", "model": "object", "images_per_s": 8000}' >"$w/pytorchmodelobjectwatermark.json"
echo '{"framework": "pytorch 2.11 compile reduce-overhead amp bf16 channels-last", "model": "object", "amp": "bf16",
  "images_per_s": 24000}' >"$w/pytorchmodelobjectwatermarkampbf16channelslastcompilecompilemodereduceoverhead.json"
# The fast recipe's network: 50000 against 20000, 2.5x.
echo '{"framework": "nullmark", "model": "object-fast", "precision": "bf16", "images_per_s": 50000}' >"$w/nullmark_cuda_fast_bf16.json"
echo '{"framework": "pytorch 2.11 eager amp bf16 channels-last", "model": "fast", "amp": "bf16",
  "images_per_s": 20000}' >"$w/pytorchmodelfastbatch512watermarkampbf16channelslast.json"
cat >"$w/kernels.json" <<'JSON'
{"device": "NVIDIA H100 80GB HBM3", "nominal_tflops_fp32": 67.0, "nominal_tflops_tf32": 494.7, "nominal_tflops_bf16": 989.4, "nominal_tbps": 3.35, "measured_copy_gbps": 2900,
 "results": [
  {"kernel": "digit conv1 (x3 watermark) fwd", "shape": "384x1x28x28 f16 k5", "impl": "native", "ms": 0.06, "gflops": 1, "gbps": 0, "share_of_peak": 0.1},
  {"kernel": "digit conv1 (x3 watermark) fwd", "shape": "384x1x28x28 f16 k5", "impl": "cudnn", "ms": 0.05, "gflops": 1, "gbps": 0, "share_of_peak": 0.1},
  {"kernel": "object 64ch 8x8 fwd", "shape": "384x64x8x8 f64 k3", "impl": "native", "ms": 0.2, "gflops": 1, "gbps": 0, "share_of_peak": 0.1},
  {"kernel": "object 64ch 8x8 fwd", "shape": "384x64x8x8 f64 k3", "impl": "cudnn", "ms": 0.1, "gflops": 1, "gbps": 0, "share_of_peak": 0.1},
  {"kernel": "object 64ch 8x8 fwd", "shape": "384x64x8x8 f64 k3", "impl": "native-bf16", "ms": 0.05, "gflops": 11600, "gbps": 0, "share_of_peak": 0.0117, "peak": "tensor"},
  {"kernel": "object 64ch 8x8 fwd", "shape": "384x64x8x8 f64 k3", "impl": "cudnn-tf32", "ms": 0.04, "gflops": 14500, "gbps": 0, "share_of_peak": 0.0293, "peak": "tensor"},
  {"kernel": "watermark batch", "shape": "4096 x 3x32x32", "impl": "native", "ms": 0.075, "gflops": 0, "gbps": 2647, "share_of_peak": 0.79,
   "share_of_copy_bandwidth": 0.913, "share_of_plain_copies": 0.96}],
 "chunked_tilings": [
  {"kernel": "object 64ch 8x8 fwd", "shape": "384x64x8x8 f64 k3", "tile_filters": 64, "slices": 1, "images": 1, "threads": 128,
   "blocks": 384, "chunks": 16, "model_cost": 2.0, "model_choice": false, "ms": 0.09, "gflops": 20000},
  {"kernel": "object 64ch 8x8 fwd", "shape": "384x64x8x8 f64 k3", "tile_filters": 32, "slices": 2, "images": 3, "warps_across": "filters", "threads": 192,
   "blocks": 256, "chunks": 16, "model_cost": 1.0, "model_choice": true, "ms": 0.1, "gflops": 18000}]}
JSON
cat >"$w/gpu_validate.log" <<'LOG'
finetune-digit.yaml on the GPU: rc 0; done
compute-sanitizer memcheck, direct conv kernels: rc 0; ========= ERROR SUMMARY: 0 errors
LOG
printf 'epoch 8/8\nclean 99.2 %%\n' >"$w/train_digit_watermark.log"
python3 "$summary" "$w" "NVIDIA H100 80GB HBM3" 0 "100% tests passed, 0 tests failed out of 16" 0 gemm
md="$w/gpu_validate.md"
expect "$md" "# GPU validation"
expect "$md" "native convolutions of the profile and training run: gemm"
expect "$md" "- end to end >= 2x PyTorch eager (watermarked digit): 2.29x (met)"
expect "$md" "- watermark batch kernel >= 80% of nominal bandwidth: 79.0% (not met; 91.3% of the measured copy, 96.0% of the same traffic without stamping)"
expect "$md" "- convolution within 1.5x of cuDNN: 1 of 2 passes (not met)"
expect "$md" "  - object 64ch 8x8 fwd: native / cuDNN = 2.00"
expect "$md" "| pytorchwatermarkcompile |  | digit |  |  |  | pytorch_train.py --watermark --compile failed, see gpu_validate.log |"
expect "$md" "- ResNet-20 >= 2x the best PyTorch baseline: 1.25x (not met; nullmark_cuda_object_bf16 30000 against pytorch 2.11 compile reduce-overhead amp bf16 channels-last 24000 images/s)"
expect "$md" "| nullmark_cuda_object_bf16 | nullmark | object | bf16 |  |  | 30000 |"
expect "$md" "- the fast recipe's network >= 2x the best PyTorch baseline: 2.50x (met; nullmark_cuda_fast_bf16 50000 against pytorch 2.11 eager amp bf16 channels-last 20000 images/s)"
expect "$md" "- compute-sanitizer memcheck, direct conv kernels: rc 0; ========= ERROR SUMMARY: 0 errors"
expect "$md" "- finetune-digit.yaml on the GPU: rc 0; done"
expect "$md" "clean 99.2 %"
# Tilings: the model's choice against the fastest, and each row with the model's estimate relative to its choice's.
expect "$md" "object 64ch 8x8 fwd: fastest 64 filters x 1 images, 0.0900 ms; the model's choice 32 x 3, 0.1000 ms (1.11x the fastest, 2 of 2)"
expect "$md" "| 32 (model) | 3 | filters | 256 | 192 | 16 | 0.1000 | 18000 | 1.00 |"
expect "$md" "| 64 | 1 | images | 384 | 128 | 16 | 0.0900 | 20000 | 2.00 |"  # a run's JSON before warps_across
python3 - "$w/gpu_validate.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["conv_native_for_training"] == "gemm", s["conv_native_for_training"]
assert "error" in s["runs"]["nullmark_cuda_digit-clean"], s["runs"]["nullmark_cuda_digit-clean"]
assert s["kernels"]["device"] == "NVIDIA H100 80GB HBM3"
PY
# The perf tables from that run's JSON: the tensor-core rows with their share of the tensor peak and
# their speed-up over the fp32 native pass (0.2 ms / 0.05 ms = 4x); fp32 rows stay in the kernel table.
mkdir "$out/bench"
python3 -c "import json, sys; s = json.load(open(sys.argv[1])); s['date'] = '2026-12-07'; json.dump(s, open(sys.argv[2], 'w'))" \
  "$w/gpu_validate.json" "$out/bench/2026-12-07-h100-run1.json"
printf '<!-- BEGIN generated: gpu-tensor-cores -->\n<!-- END generated: gpu-tensor-cores -->\n<!-- BEGIN generated: gpu-kernels -->\n<!-- END generated: gpu-kernels -->\n' >"$out/perf.md"
python3 "$repo/bench/perf_tables.py" --results "$out/bench" --page "$out/perf.md" >/dev/null
expect "$out/perf.md" "| object 64ch 8x8 fwd | 384x64x8x8 f64 k3 | native-bf16 | 0.0500 | 11600 | 1.2 % | 4.00× |"
expect "$out/perf.md" "| object 64ch 8x8 fwd | 384x64x8x8 f64 k3 | cudnn-tf32 | 0.0400 | 14500 | 2.9 % | 5.00× |"
expect "$out/perf.md" "nominal dense tensor-core peak 494.7 TFLOP/s tf32, 989.4 bf16"
expect "$out/perf.md" "| object 64ch 8x8 fwd | 384x64x8x8 f64 k3 | 0.2000 (2.00× cuDNN) |"
echo "ok: summary of an early and of a whole GPU validation run"
