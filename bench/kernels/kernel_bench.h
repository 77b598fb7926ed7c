// What the per-op CUDA kernel benchmarks share: the settings, the card's peaks, test data, and the
// table every measurement is reported to (printed as it comes, written as JSON at the end).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kernels/conv2d.h"
#include "kernels/dense.h"

#include "kernels/cuda/context.h"
#include "nn/device_array.h"

namespace nullmark::bench {

struct Peak {
  double tflops = 0, tbps = 0;  // FP32 non-tensor TFLOP/s, memory TB/s
  double tf32 = 0, bf16 = 0;    // dense tensor-core TFLOP/s (no sparsity)
};
// Looked up by card name (H100, H200, A100); unknown cards report 0.
Peak nominal_peak(const std::string& device_name);

struct KernelBench {
  const cuda::Context* context = nullptr;  // every kernel runs with it (fp32; the tensor-core
                                           // benchmark makes contexts of its own)
  const cuda::Context& gpu() const { return *context; }
  int reps = 20;
  bool no_direct = false;  // leave out the direct convolution kernels
  Peak peak;
  double copy_gbps = 0;  // a device-to-device copy, measured first
  nlohmann::json rows = nlohmann::json::array(), tilings = nlohmann::json::array();
  // One measurement: prints it and adds a row. flops 0: a bandwidth-bound kernel (bytes moved).
  // `tensor_peak`: the TFLOP/s the share is taken of, for tensor-core rows (0: the FP32 peak).
  void report(const std::string& kernel, const std::string& shape, const std::string& impl, double ms, double flops,
              double bytes, double tensor_peak = 0);
};

// The convolutions the "digit" and "object" models train (batch 384: a watermarked batch of 128),
// shared by the benchmarks that time them.
struct ConvCase {
  const char* name;
  Conv2dShape s;
  bool first;  // the network's first layer: training asks for no input gradient
};
std::vector<ConvCase> model_convolutions();
std::string conv_shape_label(const Conv2dShape& s);
// The dense products timed (the digit model's two layers and a large square one), both passes, each
// implementation named with `suffix` ("-bf16"), shares taken of tensor_peak (0: the FP32 peak).
void time_dense(KernelBench& bench, const cuda::Context& gpu, const std::string& suffix, double tensor_peak);
// The tensors of one convolution case, on the device.
struct ConvData {
  DeviceArray<float> x, w, b, dy, y, dx, dw, db;
  explicit ConvData(const Conv2dShape& s);
};

// Deterministic values in [-0.5, 0.5) on the device.
DeviceArray<float> filled(size_t n);

// The benchmarks, one per op family.
void bench_convolutions(KernelBench& b);
void bench_dense(KernelBench& b);
void bench_activations(KernelBench& b);
void bench_watermark_batch(KernelBench& b);
// The convolutions and dense products in tf32 and bf16 (native tensor-core GEMM, cuDNN, cuBLAS).
void bench_tensor_cores(KernelBench& b);

}  // namespace nullmark::bench
