#include "bench/kernels/kernel_bench.h"

#include <cstdio>
#include <vector>

namespace nullmark::bench {

Peak nominal_peak(const std::string& name) {
  // NVIDIA's data sheets (dense tensor-core figures, without sparsity).
  if (name.find("H200") != std::string::npos) return {67.0, 4.8, 494.7, 989.4};
  if (name.find("H100") != std::string::npos)
    return name.find("PCIe") != std::string::npos ? Peak{51.0, 2.0, 378.0, 756.0} : Peak{67.0, 3.35, 494.7, 989.4};
  if (name.find("A100") != std::string::npos) return {19.5, 2.0, 156.0, 312.0};
  return {};
}

void KernelBench::report(const std::string& kernel, const std::string& shape, const std::string& impl, double ms,
                         double flops, double bytes, double tensor_peak) {
  const double gflops = flops / ms / 1e6, gbps = bytes / ms / 1e6;
  const double flop_peak = tensor_peak > 0 ? tensor_peak : peak.tflops;
  const double share = flops > 0 ? gflops / (flop_peak * 1e3) : gbps / (peak.tbps * 1e3);
  std::printf("%-26s %-30s %-11s %9.4f ms %9.1f GFLOP/s %8.1f GB/s %6.1f%% of peak\n", kernel.c_str(), shape.c_str(),
              impl.c_str(), ms, gflops, gbps, flop_peak > 0 ? 100 * share : 0.0);
  rows.push_back({{"kernel", kernel},
                  {"shape", shape},
                  {"impl", impl},
                  {"ms", ms},
                  {"gflops", gflops},
                  {"gbps", gbps},
                  {"share_of_peak", flop_peak > 0 ? share : 0.0},
                  {"peak", tensor_peak > 0 ? "tensor" : "fp32"}});
}

DeviceArray<float> filled(size_t n) {
  std::vector<float> host(n);
  for (size_t i = 0; i < n; ++i) host[i] = static_cast<float>((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
  DeviceArray<float> d(Device::CUDA, n);
  d.upload(host.data(), n);
  return d;
}

}  // namespace nullmark::bench
