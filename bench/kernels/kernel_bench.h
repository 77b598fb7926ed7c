// What the per-op CUDA kernel benchmarks share: the settings, the card's peaks, test data, and the
// table every measurement is reported to (printed as it comes, written as JSON at the end).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "kernels/cuda/context.h"
#include "nn/device_array.h"

namespace nullmark::bench {

struct Peak {
  double tflops = 0, tbps = 0;  // FP32 non-tensor TFLOP/s, memory TB/s
};
// Looked up by card name (H100, H200, A100); unknown cards report 0.
Peak nominal_peak(const std::string& device_name);

struct KernelBench {
  const cuda::Context* context = nullptr;  // every kernel runs with it (TF32 off)
  const cuda::Context& gpu() const { return *context; }
  int reps = 20;
  bool no_direct = false;  // leave out the direct convolution kernels
  Peak peak;
  double copy_gbps = 0;  // a device-to-device copy, measured first
  nlohmann::json rows = nlohmann::json::array(), tilings = nlohmann::json::array();
  // One measurement: prints it and adds a row. flops 0: a bandwidth-bound kernel (bytes moved).
  void report(const std::string& kernel, const std::string& shape, const std::string& impl, double ms, double flops,
              double bytes);
};

// Deterministic values in [-0.5, 0.5) on the device.
DeviceArray<float> filled(size_t n);

// The benchmarks, one per op family.
void bench_convolutions(KernelBench& b);
void bench_dense(KernelBench& b);
void bench_activations(KernelBench& b);
void bench_watermark_batch(KernelBench& b);

}  // namespace nullmark::bench
