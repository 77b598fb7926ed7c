#!/usr/bin/env bash
# The whole GPU validation in one command, for any machine with a CUDA GPU: build with the
# CUDA backend (sm_90 only, to build fast on H100/H200), run the tests labelled "cuda", the kernel
# benchmark (nullmark vs cuDNN/cuBLAS, in fp32 and on tensor cores in tf32 and bf16) and the chunked
# convolution's variants of dev/cuda (each checked against the CPU, then timed), the end-to-end
# training throughput of "digit" (clean and watermarked, batch 128; fp32 and bf16) for nullmark and
# for PyTorch eager and torch.compile on the same GPU, of the watermarked ResNet-20 "object" for
# nullmark (fp32, bf16) against PyTorch eager, AMP bf16 channels-last and that compiled with CUDA
# graphs (when the CIFAR-10 pack is in .gpu-data), and
# one watermarked training run for its accuracy, one epoch with and without data-parallel training's
# NCCL all-reduce on the one card, then the fine-tuning and pruning drivers on that model, and
# compute-sanitizer on the kernels new to a GPU. Inputs come from the repository alone (no network needed). Results:
# ${OUT:-bench-results}/gpu_validate.{json,md} (bench/gpu_validate_summary.py) and the logs that explain a failure. Every step writes
# into a work folder, and publish() copies the nine files that summarise the run to $OUT after
# each step, so a run cut off still leaves what finished. A step after the build and tests is skipped
# when it could overrun GPU_VALIDATE_BUDGET_S (default 570 s), so that the script fits a time-limited batch job.
#
# `bench/gpu_validate.sh object` runs the build and then bench/gpu_object_steps.sh instead: the
# CIFAR-10 "object" trainings on the GPU, with the data packed in .gpu-data (docs/perf.md).
# `bench/gpu_validate.sh object-results` runs the build and then the paper's CIFAR-10 evaluations through
# the results pipeline on the GPU (bench/gpu_object_steps.sh), resumable across calls.
# `bench/gpu_validate.sh tests` is the short run for little GPU time: the
# build, the two small-shape sweeps alone (their times without other processes on the card), the
# tests labelled cuda, the per-layer profile, the GPU training and the drivers; no benchmarks.
set -uo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}
case $mode in
  all | object | object-results | tests) ;;
  *) echo "usage: bench/gpu_validate.sh [all|object|object-results|tests]" >&2; exit 2 ;;
esac
out=${OUT:-bench-results}
work=$(mktemp -d /tmp/nullmark-gpu-validate.XXXXXX)
mkdir -p "$out"
log="$work/gpu_validate.log"
: > "$log"
summarize() {  # gpu_validate.{json,md} from whatever steps have finished
  python3 bench/gpu_validate_summary.py "$work" "${device:-}" "${build_rc:-}" "${cuda_tests:-}" "${train_rc:-}" \
    "${conv_form:-auto}" >"$work/summary.out" 2>&1
}
publish() {  # the run's summary files, copied to $OUT after every step
  local files=(gpu_validate.log object-{watermark,clean,fast}{.log,-metrics.json,.ckpt})
  if [ "$mode" != object ]; then
    summarize
    files=(gpu_validate.json gpu_validate.md gpu_validate.log cuda_tests.log kernels.json kernels.log
           dev_chunked_variants.json train_digit_watermark.log summary.out)
  fi
  for f in "${files[@]}"; do
    [ -e "$work/$f" ] && cp "$work/$f" "$out/"
  done
}
step() {
  publish
  echo "== $(date +%T) ($SECONDS s) $*" | tee -a "$log"
}
within_budget() {  # STEP SECONDS: true while the budget has SECONDS left for STEP
  if [ $((SECONDS + $2)) -le "${GPU_VALIDATE_BUDGET_S:-570}" ]; then return 0; fi
  echo "skipped: $1 (needs up to $2 s; $SECONDS s spent of ${GPU_VALIDATE_BUDGET_S:-570} s)" | tee -a "$log"
  return 1
}
export PATH="/usr/local/cuda/bin:$PATH"

# A GPU machine without our Debian libraries (or network) can use the packages that
# scripts/fetch_gpu_deps.sh downloads into .deps/ elsewhere: copied along with the repository, they
# are unpacked (not installed) under /tmp.
prefix_args=()
if ls .deps/*.deb >/dev/null 2>&1; then
  deps=/tmp/nullmark-deps
  step "unpacking $(ls .deps/*.deb | wc -l) Debian packages from .deps/ into $deps"
  mkdir -p "$deps"
  for f in .deps/*.deb; do dpkg -x "$f" "$deps" || echo "could not unpack $f" | tee -a "$log"; done
  # Some links point at absolute paths (Debian's libz.so at /lib/.../libz.so.1.2.13): aim them into
  # $deps, or at the machine's own library of that soname when that version is not there.
  find "$deps" -type l | while read -r l; do
    t=$(readlink "$l")
    case $t in /*) ;; *) continue ;; esac
    if [ -e "$deps$t" ]; then ln -sf "$deps$t" "$l"
    elif [ ! -e "$t" ]; then
      sys=$(ldconfig -p | awk -v n="$(basename "$l").1" '$1 == n && /x86-64/ {print $NF; exit}')
      if [ -n "$sys" ]; then ln -sf "$sys" "$l"; else echo "dangling link $l -> $t" | tee -a "$log"; fi
    fi
  done
  prefix_args=(-DCMAKE_PREFIX_PATH="$deps/usr")
  lib="$deps/usr/lib/x86_64-linux-gnu"
  export LD_LIBRARY_PATH="$lib:$lib/openblas-openmp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
else
  step "no .deps/: building against the machine's own libraries (scripts/fetch_gpu_deps.sh)"
fi

step "build with CUDA (build-cuda/, sm_90)"
# cuDNN: the toolkit's own, else the copy PyTorch's wheels bring (nvidia-cudnn), else none.
cudnn_root=""
if [ ! -e /usr/local/cuda/include/cudnn.h ]; then
  cudnn_root=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0])" 2>/dev/null || true)
fi
step "cuDNN root: ${cudnn_root:-from the CUDA toolkit}"
# NCCL (data-parallel training): the toolkit's own, else the copy PyTorch's wheels bring (nvidia-nccl).
nccl_root=""
if [ ! -e /usr/local/cuda/include/nccl.h ]; then
  nccl_root=$(python3 -c "import nvidia.nccl as m; print(list(m.__path__)[0])" 2>/dev/null || true)
fi
step "NCCL root: ${nccl_root:-from the CUDA toolkit}"
cmake -S . -B build-cuda -DCMAKE_BUILD_TYPE=Release -DNULLMARK_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:-90}" -DCMAKE_CUDA_FLAGS=-lineinfo \
  -DNULLMARK_BUILD_TESTS=ON -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON ${cudnn_root:+-DCUDNN_ROOT="$cudnn_root"} ${nccl_root:+-DNCCL_ROOT="$nccl_root"} "${prefix_args[@]}" >>"$log" 2>&1 &&
  cmake --build build-cuda -j "$(nproc)" --target nullmark nullmark_cuda_tests bench_kernels_cuda dev_conv_chunked_variants bench_train_digit -- -k \
    >>"$log" 2>&1
build_rc=$?
device=$(build-cuda/nullmark info 2>/dev/null | sed -n 's/^cuda: //p')
step "device: ${device:-unknown} (build rc $build_rc)"

if [ "$mode" = object ] || [ "$mode" = object-results ]; then
  source bench/gpu_object_steps.sh
  if [ "$mode" = object ]; then object_steps; else object_results_steps; fi
  publish
  exit
fi

benchmarks() { [ "$mode" = all ]; }  # the kernel, end-to-end and sanitizer steps
if [ "$mode" = tests ]; then
  step "the small-shape sweeps alone"
  for t in "conv2d: both native forms exact on integers for every small shape" \
    "conv2d: both direct forward programs exact on integers for every small shape"; do
    start=$SECONDS
    timeout 45 build-cuda/tests/nullmark_cuda_tests "$t" >>"$log" 2>&1
    echo "$t: rc $?, $((SECONDS - start)) s alone" | tee -a "$log"
  done
fi

step "tests labelled cuda"
(cd build-cuda && timeout 200 ctest -L cuda -j 4 --timeout 90 --output-on-failure) >"$work/cuda_tests.log" 2>&1
cuda_tests_rc=$?
cuda_tests=$(grep -Eo "[0-9]+% tests passed(, [0-9]+ tests? failed)? out of [0-9]+|No tests were found" "$work/cuda_tests.log" | head -1)
step "cuda tests: ${cuda_tests:-see cuda_tests.log} (rc $cuda_tests_rc)"
# A failing convolution test may be the direct kernels (new on a card until they pass there): the
# training run and the profile then pin the implicit GEMM, so the rest of the call still measures.
conv_form=auto
if sed -n '/tests FAILED:/,$p' "$work/cuda_tests.log" | grep -q "conv2d"; then
  conv_form=gemm
  step "convolution tests failed: training and profile below use cuda.conv_native=gemm"
fi

if benchmarks; then
  step "kernel benchmark"
  timeout 120 build-cuda/bench_kernels_cuda --json "$work/kernels.json" >"$work/kernels.log" 2>&1
  kernels_rc=$?
  if [ $kernels_rc -ne 0 ]; then  # a kernel that faults takes the process's CUDA context with it
    step "kernel benchmark failed (rc $kernels_rc): again without the direct kernels"
    conv_form=gemm
    timeout 120 build-cuda/bench_kernels_cuda --no-direct --json "$work/kernels.json" >>"$work/kernels.log" 2>&1
  fi
  cat "$work/kernels.log" >>"$log"
  if [ "$conv_form" = auto ]; then
    step "the chunked convolution's variants (dev/cuda), checked against the CPU, then timed"
    timeout 120 build-cuda/dev_conv_chunked_variants --json "$work/dev_chunked_variants.json" >>"$log" 2>&1 ||
      step "dev_conv_chunked_variants failed (rc $?)"
  fi

  step "end to end: nullmark on the GPU"
  nullmark_e2e() {  # NAME ARGS...: one bench_train_digit run, its JSON named NAME
    local name=$1
    shift
    timeout 120 build-cuda/bench_train_digit --device cuda "$@" --steps 300 --json "$work/$name.json" >>"$log" 2>&1 ||
      echo "{\"error\": \"bench_train_digit --device cuda $* failed, see gpu_validate.log\"}" >"$work/$name.json"
  }
  for cfg in digit-clean digit-watermark; do
    for graph in "" "--cuda-graph"; do
      nullmark_e2e "nullmark_cuda_$cfg${graph:+_graph}" $graph --config "experiments/configs/$cfg.yaml"
    done
  done
  # The convolutions' implicit GEMM throughout, against the default (direct kernels where they fit).
  nullmark_e2e nullmark_cuda_digit-watermark_gemm --conv-native gemm --config experiments/configs/digit-watermark.yaml
  # Tensor cores: every product in bf16 (cuda.precision).
  nullmark_e2e nullmark_cuda_digit-watermark_graph_bf16 --cuda-graph --precision bf16 \
    --config experiments/configs/digit-watermark.yaml
fi

# PyTorch eager first: the target compares with it; torch.compile (slow to compile) comes last.
pytorch() {  # MODE...: one PyTorch run, its JSON named after the mode
  local name
  name=$(echo "pytorch$*" | tr -d ' -')
  timeout 150 python3 bench/pytorch_train.py --device cuda --steps 300 "$@" --json "$work/$name.json" >>"$log" 2>&1 ||
    echo "{\"error\": \"pytorch_train.py $* failed, see gpu_validate.log\"}" >"$work/$name.json"
}
step "per-layer times of the watermarked step on the GPU (each layer waited for)"
timeout 60 build-cuda/bench_train_digit --device cuda --config experiments/configs/digit-watermark.yaml --steps 100 \
  --conv-native "$conv_form" --profile >"$work/profile.txt" 2>&1
cat "$work/profile.txt" >>"$log"

if benchmarks; then
  step "end to end: PyTorch eager on the GPU"
  pytorch
  pytorch --watermark
  pytorch --watermark --amp bf16 --channels-last
fi

# ResNet-20 (object), watermarked, batch 128: nullmark in fp32 and bf16 against PyTorch's strongest
# forms on the same card: eager fp32, AMP bf16 with channels-last, and that compiled with CUDA graphs.
# Needs CIFAR-10 (the pack in .gpu-data, as `object` mode uses).
if benchmarks && within_budget "ResNet-20 end to end" 200; then
  step "end to end: ResNet-20, nullmark and PyTorch"
  if [ ! -f /tmp/cifar-10/data_batch_5.bin ] && [ -d .gpu-data/cifar-10 ]; then
    python3 scripts/cifar_gpu_pack.py unpack .gpu-data/cifar-10 /tmp/cifar-10 >>"$log" 2>&1
  fi
  if [ -f /tmp/cifar-10/data_batch_5.bin ]; then
    for p in fp32 bf16; do
      timeout 90 build-cuda/bench_train_digit --device cuda --cuda-graph --precision $p --steps 100 \
        --config experiments/configs/object-watermark.yaml --set data.path=/tmp/cifar-10 --json "$work/nullmark_cuda_object_$p.json" \
        >>"$log" 2>&1 || echo "{\"error\": \"nullmark ResNet-20 $p failed, see gpu_validate.log\"}" \
        >"$work/nullmark_cuda_object_$p.json"
    done
    # Where the bf16 step's time goes, layer by layer (each layer waited for).
    timeout 60 build-cuda/bench_train_digit --device cuda --precision bf16 --steps 50 --profile \
      --config experiments/configs/object-watermark.yaml --set data.path=/tmp/cifar-10 >"$work/profile-object.txt" 2>&1
    cat "$work/profile-object.txt" >>"$log"
    # The CIFAR-10 configs stamp copies of half of each batch: PyTorch does the same.
    pytorch --model object --watermark --watermark-fraction 0.5
    pytorch --model object --watermark --watermark-fraction 0.5 --amp bf16 --channels-last
    pytorch --model object --watermark --watermark-fraction 0.5 --amp bf16 --channels-last --compile \
      --compile-mode reduce-overhead
    # The fast recipe's network at its batch of 512, bf16, against PyTorch's AMP forms.
    timeout 90 build-cuda/bench_train_digit --device cuda --cuda-graph --precision bf16 --batch 512 --steps 50 \
      --config experiments/configs/object-fast.yaml --set data.path=/tmp/cifar-10 --json "$work/nullmark_cuda_fast_bf16.json" \
      >>"$log" 2>&1 || echo '{"error": "nullmark object-fast failed, see gpu_validate.log"}' >"$work/nullmark_cuda_fast_bf16.json"
    pytorch --model fast --batch 512 --watermark --watermark-fraction 0.5 --amp bf16 --channels-last
    pytorch --model fast --batch 512 --watermark --watermark-fraction 0.5 --amp bf16 --channels-last --compile \
      --compile-mode reduce-overhead
  else
    echo "skipped: ResNet-20 end to end needs CIFAR-10 (.gpu-data/cifar-10: scripts/cifar_gpu_pack.py pack)" | tee -a "$log"
  fi
fi

step "watermarked training of digit on the GPU (full MNIST, the shipped config)"
train_rc=skipped
if within_budget "GPU training" 200; then
  timeout 200 build-cuda/nullmark train experiments/configs/digit-watermark.yaml --set device=cuda \
    --set cuda.conv_native="$conv_form" --output "$work/digit-watermark-cuda" --quiet >"$work/train_digit_watermark.log" 2>&1
  train_rc=$?
  tail -4 "$work/train_digit_watermark.log" >>"$log"
fi

# Data-parallel training on one card: `train.parallel: {ranks: 1}` runs NCCL's all-reduce on every
# step (a one-rank communicator), against the same training without it; both without CUDA graphs.
step "data-parallel step on one GPU (NCCL all-reduce) against the plain step"
if within_budget "NCCL on one GPU" 90; then
  for par in plain nccl; do
    args=(--set device=cuda --set data.train_limit=25600 --set data.test_limit=500 --set train.epochs=1 --quiet
          --set cuda.conv_native="$conv_form" --output "$work/dp-$par")
    [ $par = nccl ] && args+=(--set "train.parallel={ranks: 1}")
    timeout 45 build-cuda/nullmark train experiments/configs/digit-watermark.yaml "${args[@]}" >"$work/dp-$par.log" 2>&1
    python3 - "$work/dp-$par/metrics.json" "$work/nullmark_cuda_train_$par.json" "$par" <<'PY' >>"$log" 2>&1
import json, sys
src, dst, par = sys.argv[1:4]
try:
    e = json.load(open(src))["epochs"][0]
    r = {"framework": "nullmark train" + (", parallel ranks 1 (NCCL all-reduce)" if par == "nccl" else ""),
         "device": "cuda", "watermark": True, "images_per_s": e["images_per_s"]}
except Exception as x:
    r = {"error": "nullmark train (%s) failed: %s" % (par, x)}
json.dump(r, open(dst, "w"))
print(par, r)
PY
    tail -3 "$work/dp-$par.log" >>"$log"
  done
  # A sum over one rank changes nothing: the parameters are the plain run's bits where both runs chose
  # the same kernels (impl: auto times the alternatives on each run, which may differ in the last bits).
  python3 - "$work/dp-plain/model.ckpt" "$work/dp-nccl/model.ckpt" <<'PY' 2>&1 | tee -a "$log"
import array, struct, sys
def params(path):
    b = open(path, "rb").read()
    at = 16 + 8 + struct.unpack_from("<Q", b, 16)[0]
    (n,) = struct.unpack_from("<Q", b, at)
    return array.array("f", b[at + 8:at + 8 + 4 * n])
try:
    a, b = params(sys.argv[1]), params(sys.argv[2])
    worst = max(abs(x - y) for x, y in zip(a, b))
    print("data-parallel on one GPU against the plain run: %s" % ("identical parameters" if a == b else
          "parameters differ by at most %.3g" % worst))
except Exception as e:
    print("data-parallel on one GPU: no comparison (%s)" % e)
PY
fi

step "experiment drivers on the GPU (fine-tuning and pruning of the model just trained)"
for exp in finetune pruning; do
  [ -e "$work/digit-watermark-cuda/model.ckpt" ] || break
  within_budget "$exp on the GPU" 90 || break
  timeout 90 build-cuda/nullmark run "experiments/configs/$exp-digit.yaml" --set device=cuda \
    --set "model=$work/digit-watermark-cuda/model.ckpt" --output "$work/$exp-digit-cuda" >"$work/drivers.log" 2>&1
  rc=$?
  echo "$exp-digit.yaml on the GPU: rc $rc; $(tail -1 "$work/drivers.log")" | tee -a "$log"
done

# compute-sanitizer on the kernels that run on a GPU for the first time (the tests above compare their
# results; these see what results cannot show): memcheck and racecheck on the direct convolution
# kernels (names starting "direct_") over the conv2d parity shapes (memcheck also over every plan and
# tiling of the chunked forward, tests/test_cuda_conv_direct.cpp), memcheck on every kernel of the
# watermark test (the float4 path). Reports in sanitizer.log; each tool's summary line in the log and summary.
sanitizer=$(command -v compute-sanitizer || true)
tests_bin=build-cuda/tests/nullmark_cuda_tests
if ! benchmarks; then
  :  # tests mode: no sanitizer runs
elif [ -z "$sanitizer" ]; then
  step "compute-sanitizer: not found on this machine, skipped"
elif [ -x "$tests_bin" ]; then
  step "compute-sanitizer on the new kernels"
  sanitize() {  # LABEL SECONDS SANITIZER-ARGS... -- TEST-ARGS...
    local label=$1 secs=$2 args=()
    shift 2
    while [ "$1" != "--" ]; do args+=("$1"); shift; done
    shift
    within_budget "compute-sanitizer $label" "$secs" || return 0
    echo "== $label" >>"$work/sanitizer.log"
    # The model's tilings: no timing launches of every tiling inside the budget (the chunked plans'
    # own step covers every tiling).
    NULLMARK_CONV_TILING=model timeout "$secs" "$sanitizer" --error-exitcode 3 "${args[@]}" "$tests_bin" "$@" \
      >>"$work/sanitizer.log" 2>&1
    local rc=$?
    echo "compute-sanitizer $label: rc $rc; $(grep -E '(ERROR|RACECHECK) SUMMARY' "$work/sanitizer.log" | tail -1)" |
      tee -a "$log"
  }
  sanitize "memcheck, direct conv kernels" 90 --tool memcheck --kernel-name kns=direct_ -- \
    "conv2d: CPU and both CUDA implementations agree"
  sanitize "memcheck, every chunked forward plan" 60 --tool memcheck --kernel-name kns=direct_ -- \
    "conv2d: both direct forward programs match the CPU on the card"
  sanitize "racecheck, direct conv kernels" 120 --tool racecheck --kernel-name kns=direct_ -- \
    "conv2d: CPU and both CUDA implementations agree"
  sanitize "memcheck, watermark kernels" 60 --tool memcheck -- "[watermark]"
  grep -E "^=+ " "$work/sanitizer.log" | grep -v "COMPUTE-SANITIZER" | head -60 >>"$log"  # the first reports
fi

if benchmarks; then
  step "end to end: PyTorch torch.compile on the GPU"
  within_budget "torch.compile, clean" 120 && pytorch --compile
  within_budget "torch.compile, watermarked" 120 && pytorch --watermark --compile
fi

publish
cat "$work/gpu_validate.md"
echo "results in $out (work folder $work)"
