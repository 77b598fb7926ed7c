// The chunked forward convolution's variants (dev/cuda/conv_chunked_variants.h) on the digit and
// object models' shapes, as llm.c's dev/cuda programs do: each variant's output is first checked
// against the CPU kernel (within 1e-4 relative), then timed. Exits 1 when any variant that runs
// disagrees with the CPU.
//
//   build/dev_conv_chunked_variants [--reps 20] [--json OUT]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/files.h"
#include "common/format.h"
#include "dev/cuda/conv_chunked_variants.h"
#include "kernels/conv2d.h"
#include "kernels/cuda/device.h"
#include "kernels/cuda/timing.h"
#include "nn/device_array.h"

using namespace nullmark;

namespace {
Conv2dShape conv(int n, int c, int h, int f, int k, int pad) {
  Conv2dShape s;
  s.n = n, s.c = c, s.h = s.w = h, s.f = f, s.kh = s.kw = k, s.stride = 1, s.pad = pad;
  return s;
}

std::vector<float> values(size_t n, unsigned salt) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(((i + salt) * 2654435761u) % 1000) / 1000.0f - 0.5f;
  return v;
}

// The largest |gpu - cpu| / max(1, |cpu|).
double worst_error(const std::vector<float>& cpu, const std::vector<float>& gpu) {
  double worst = 0;
  for (size_t i = 0; i < cpu.size(); ++i)
    worst = std::max(worst, std::fabs(cpu[i] - gpu[i]) / std::max(1.0, static_cast<double>(std::fabs(cpu[i]))));
  return worst;
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nullmark dev: the chunked forward convolution's variants, checked against the CPU, then timed"};
  int reps = 20;
  std::string json_out;
  app.add_option("--reps", reps, "Timed repetitions per variant")->check(CLI::Range(1, 10000));
  app.add_option("--json", json_out, "Write the rows as JSON");
  CLI11_PARSE(app, argc, argv);
  try {
    const cuda::DeviceInfo info = cuda::query_device();
    if (!info.available) throw std::runtime_error("no CUDA device: " + info.description);
    const cuda::Context gpu;  // the defaults: TF32 off
    const std::pair<const char*, Conv2dShape> shapes[] = {{"digit conv2", conv(384, 16, 12, 32, 5, 0)},
                                                          {"object 16ch 32x32", conv(384, 16, 32, 16, 3, 1)},
                                                          {"object 32ch 16x16", conv(384, 32, 16, 32, 3, 1)},
                                                          {"object 64ch 8x8", conv(384, 64, 8, 64, 3, 1)}};
    nlohmann::json rows = nlohmann::json::array();
    int disagreements = 0;
    std::printf("device: %s\n", info.description.c_str());
    for (const auto& [layer, s] : shapes) {
      const size_t nx = size_t(s.n) * s.c * s.h * s.w, nw = size_t(s.f) * s.col_rows(),
                   ny = size_t(s.n) * s.f * s.oh() * s.ow();
      const std::vector<float> x = values(nx, 1), w = values(nw, 2), b = values(s.f, 3);
      std::vector<float> want(ny), work(cpu::conv2d_workspace(s));
      cpu::conv2d_forward(s, x.data(), w.data(), b.data(), want.data(), work.data());
      DeviceArray<float> gx(Device::CUDA, nx), gw(Device::CUDA, nw), gb(Device::CUDA, s.f), gy(Device::CUDA, ny);
      gx.upload(x.data(), nx), gw.upload(w.data(), nw), gb.upload(b.data(), s.f);
      const double flops = 2.0 * ny * s.col_rows();
      for (dev::ChunkedVariant v : dev::chunked_variants(s)) {
        const std::string shape = format("%s %dx%dx%dx%d f%d k%d", layer, s.n, s.c, s.h, s.w, s.f, s.kh);
        if (!v.plan.fits_threads() || !cuda::conv2d_direct_fits(v.plan.smem_floats(), SIZE_MAX)) {
          std::printf("%-44s %-72s does not fit this shape\n", shape.c_str(), v.name.c_str());
          continue;
        }
        v.plan.x = gx.data(), v.plan.wt = gw.data(), v.plan.b = gb.data(), v.plan.y = gy.data();
        gy.resize(ny);  // zeroed: a variant that writes nothing fails the check
        cuda::conv2d_direct_forward_chunked(gpu, v.plan);
        const double error = worst_error(want, gy.download());
        const bool agrees = error <= 1e-4;
        disagreements += !agrees;
        const double ms = cuda::time_ms(gpu, [&] { cuda::conv2d_direct_forward_chunked(gpu, v.plan); }, reps);
        std::printf("%-44s %-72s %8.3f ms %8.0f GFLOP/s  %s (max rel. error %.1e)\n", shape.c_str(), v.name.c_str(), ms,
                    flops / ms / 1e6, agrees ? "matches the CPU" : "DISAGREES with the CPU", error);
        rows.push_back({{"layer", layer},
                        {"shape", shape},
                        {"variant", v.name},
                        {"ms", ms},
                        {"gflops", flops / ms / 1e6},
                        {"max_rel_error", error},
                        {"matches_cpu", agrees}});
      }
    }
    if (!json_out.empty())
      write_file_atomic(json_out, nlohmann::json{{"device", info.description}, {"reps", reps}, {"rows", rows}}.dump(2) +
                                      "\n");
    if (disagreements) {
      std::fprintf(stderr, "error: %d variant run(s) disagree with the CPU\n", disagreements);
      return 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
