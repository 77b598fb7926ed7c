// Activations: bandwidth-bound (one read and one write each way; the backward also reads y).
#include <string>

#include "bench/kernels/kernel_bench.h"
#include "kernels/cuda/timing.h"
#include "kernels/leaky_relu.h"
#include "kernels/relu.h"

namespace nullmark::bench {

void bench_activations(KernelBench& bench) {
  const size_t count = size_t(384) * 16 * 32 * 32;
  auto x = filled(count), dy = filled(count);
  DeviceArray<float> y(Device::CUDA, count), dx(Device::CUDA, count);
  const std::string shape = std::to_string(count) + " values";
  const int reps = bench.reps;
  bench.report("relu fwd", shape, "native", cuda::time_ms(bench.gpu(), [&] { cuda::relu_forward(bench.gpu(), count, x.data(), y.data()); }, reps),
               0, 8.0 * count);
  bench.report("leaky_relu fwd", shape, "native",
               cuda::time_ms(bench.gpu(), [&] { cuda::leaky_relu_forward(bench.gpu(), count, 0.01f, x.data(), y.data()); }, reps), 0,
               8.0 * count);
  bench.report(
      "leaky_relu bwd", shape, "native",
      cuda::time_ms(bench.gpu(), 
          [&] { cuda::leaky_relu_backward(bench.gpu(), count, 0.01f, y.data(), dy.data(), dx.data(), GradMode::Overwrite); }, reps),
      0, 12.0 * count);
}

}  // namespace nullmark::bench
