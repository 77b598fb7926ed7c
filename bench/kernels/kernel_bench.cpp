#include "bench/kernels/kernel_bench.h"

#include <cstdio>
#include <vector>

namespace nullmark::bench {

Peak nominal_peak(const std::string& name) {
  if (name.find("H200") != std::string::npos) return {67.0, 4.8};
  if (name.find("H100") != std::string::npos)
    return name.find("PCIe") != std::string::npos ? Peak{51.0, 2.0} : Peak{67.0, 3.35};
  if (name.find("A100") != std::string::npos) return {19.5, 2.0};
  return {};
}

void KernelBench::report(const std::string& kernel, const std::string& shape, const std::string& impl, double ms,
                         double flops, double bytes) {
  const double gflops = flops / ms / 1e6, gbps = bytes / ms / 1e6;
  const double share = flops > 0 ? gflops / (peak.tflops * 1e3) : gbps / (peak.tbps * 1e3);
  std::printf("%-26s %-30s %-7s %9.4f ms %9.1f GFLOP/s %8.1f GB/s %6.1f%% of peak\n", kernel.c_str(), shape.c_str(),
              impl.c_str(), ms, gflops, gbps, peak.tflops > 0 ? 100 * share : 0.0);
  rows.push_back({{"kernel", kernel},
                  {"shape", shape},
                  {"impl", impl},
                  {"ms", ms},
                  {"gflops", gflops},
                  {"gbps", gbps},
                  {"share_of_peak", peak.tflops > 0 ? share : 0.0}});
}

DeviceArray<float> filled(size_t n) {
  std::vector<float> host(n);
  for (size_t i = 0; i < n; ++i) host[i] = static_cast<float>((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
  DeviceArray<float> d(Device::CUDA, n);
  d.upload(host.data(), n);
  return d;
}

}  // namespace nullmark::bench
