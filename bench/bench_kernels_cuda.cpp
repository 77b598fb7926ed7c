// Per-kernel GPU benchmark: nullmark's hand-written kernels against cuDNN / cuBLAS on the shapes the
// "digit" and "object" models train, plus the bandwidth-bound kernels. Prints one line per
// measurement (time, GFLOP/s or GB/s, share of the card's peak) and writes them as JSON. One file per
// op family in bench/kernels/.
//
//   build/bench_kernels_cuda [--reps 20] [--json OUT] [--no-direct]
// --no-direct pins `native` to the implicit GEMM and leaves out the direct kernels' rows: what
// bench/gpu_validate.sh reruns when the direct kernels fail on a card, so the other rows still come back.
// Peaks: FP32 (non-tensor) FLOP/s and memory bandwidth are looked up by card name (H100, H200,
// A100), and the bandwidth is also measured with a device-to-device copy; unknown cards report 0.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/kernels/kernel_bench.h"
#include "common/files.h"
#include "kernels/cuda/device.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/timing.h"

using namespace nullmark;

int main(int argc, char** argv) {
  CLI::App app{"nullmark CUDA kernel benchmark"};
  bench::KernelBench b;
  std::string json_out;
  app.add_option("--reps", b.reps, "Timed repetitions per measurement");
  app.add_option("--json", json_out, "Write the results as JSON");
  app.add_flag("--no-direct", b.no_direct, "Leave out the direct convolution kernels (native = implicit GEMM)");
  bool no_tensor = false;
  app.add_flag("--no-tensor-cores", no_tensor, "Leave out the tf32 and bf16 tensor-core products");
  CLI11_PARSE(app, argc, argv);
  try {
    const cuda::DeviceInfo info = cuda::query_device();
    if (!info.available) throw std::runtime_error("no CUDA device: " + info.description);
    cuda::ContextOptions options = cuda::ContextOptions::from_environment();
    options.precision = Precision::Fp32;  // the tensor-core benchmark makes its own contexts
    if (b.no_direct) options.conv_form = KernelImpl::Gemm;
    const cuda::Context gpu(options);
    b.context = &gpu;
    b.peak = bench::nominal_peak(info.description);

    // Memory bandwidth as a device-to-device copy reaches it (read + write of 1 GiB).
    const size_t big = size_t(1) << 28;
    DeviceArray<float> src(Device::CUDA, big), dst(Device::CUDA, big);
    const double copy_ms =
        cuda::time_ms(gpu, [&] { cuda::copy_device(gpu, dst.data(), src.data(), big * sizeof(float)); }, std::max(3, b.reps / 4));
    b.copy_gbps = 2.0 * big * sizeof(float) / copy_ms / 1e6;
    std::printf("device: %s; nominal peak %.1f TFLOP/s FP32, %.2f TB/s; measured copy %.0f GB/s\n",
                info.description.c_str(), b.peak.tflops, b.peak.tbps, b.copy_gbps);

    bench::bench_convolutions(b);
    bench::bench_dense(b);
    if (!no_tensor) bench::bench_tensor_cores(b);
    bench::bench_activations(b);
    bench::bench_watermark_batch(b);

    if (!json_out.empty()) {
      const nlohmann::json j = {{"device", info.description},
                                {"nominal_tflops_fp32", b.peak.tflops},
                                {"nominal_tbps", b.peak.tbps},
                                {"measured_copy_gbps", b.copy_gbps},
                                {"nominal_tflops_tf32", b.peak.tf32},
                                {"nominal_tflops_bf16", b.peak.bf16},
                                {"tensor_cores", !no_tensor},
                                {"direct_left_out", b.no_direct},
                                {"results", b.rows},
                                {"chunked_tilings", b.tilings}};
      write_file_atomic(json_out, j.dump(2) + "\n");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
