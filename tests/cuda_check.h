// Shared by the cuda-labelled tests: a guard that fails with a clear message where no GPU is visible,
// the CUDA context the tests run their kernels with (TF32 off, so tolerances hold), and the
// CPU-vs-GPU comparison with a written tolerance.
#pragma once
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "kernels/cuda/device.h"
#include "kernels/cuda/runtime.h"

namespace nullmark::test {

struct GpuCheck {  // every test needs a device; say so instead of crashing when there is none
  GpuCheck() {
    const cuda::DeviceInfo d = cuda::query_device();
    if (!d.available) FAIL("no CUDA device: " << d.description << " (run with ctest -LE cuda on machines without a GPU)");
  }
};

// One context for the test process, made on first use (after a GpuCheck), with the default options
// and the environment's debugging switches: TF32 off, measured tilings.
inline std::shared_ptr<cuda::Context> shared_gpu() {
  static const std::shared_ptr<cuda::Context> gpu = std::make_shared<cuda::Context>();
  return gpu;
}
inline const cuda::Context& gpu() { return *shared_gpu(); }

// |cpu - gpu| <= rtol * max(1, |cpu|) everywhere; the first five misses are reported.
inline void close(const char* what, const std::vector<float>& cpu, const std::vector<float>& gpu, double rtol = 1e-4) {
  REQUIRE(cpu.size() == gpu.size());
  size_t bad = 0;
  for (size_t i = 0; i < cpu.size(); ++i)
    if (std::fabs(cpu[i] - gpu[i]) > rtol * std::max(1.0, static_cast<double>(std::fabs(cpu[i]))) && bad++ < 5)
      FAIL_CHECK(what << "[" << i << "]: cpu " << cpu[i] << " gpu " << gpu[i]);
  CHECK(bad == 0);
}

}  // namespace nullmark::test
