// Per-pass CPU convolution benchmark: the forward pass, the input gradient and the weight gradient
// (with the bias gradient) of every convolution shape the "digit" and "object" (ResNet-20) models
// train, each timed on its own, in GFLOP/s and as a share of the machine's sgemm rate (OpenBLAS,
// 1024^3, the same threads, the fastest of 20 calls), which bounds what a lowered convolution can reach; then the
// memory-bound passes of the ResNet's residual blocks (batch norm with its ReLU, the sum, ReLU, the
// gradients' accumulation) at each stage's shape, in GB/s. Prints a line per measurement; --json
// writes them, with the date and the machine; bench/perf_tables.py turns the latest
// bench/results/DATE-cpu-kernels.json into docs/perf.md's kernel tables. The medians of --reps timed
// calls after one untimed call.
//
//   build/bench_kernels_cpu [--threads 2] [--reps 5] [--batch 128] [--json OUT]
//   build/bench_kernels_cpu --threads 2 --json bench/results/$(date +%F)-cpu-kernels.json
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "common/blas_core.h"
#include "common/files.h"
#include "common/format.h"
#include "common/threads.h"
#include "kernels/batchnorm.h"
#include "kernels/blas.h"
#include "kernels/conv2d.h"
#include "kernels/elementwise.h"
#include "kernels/relu.h"

using namespace nullmark;

namespace {
template <class F>
double median_ms(int reps, F&& f) {
  f();
  std::vector<double> ms;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

std::vector<float> values(size_t n, unsigned salt) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(((i + salt) * 2654435761u) % 1000) / 1000.0f - 0.5f;
  return v;
}

// "CPU model name, N cores", as the other CPU records name their machine.
std::string machine() {
  std::ifstream info("/proc/cpuinfo");
  std::string line, model = "unknown CPU";
  while (std::getline(info, line))
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  return model + ", " + std::to_string(std::thread::hardware_concurrency()) + " cores";
}

std::string today() {
  const std::time_t now = std::time(nullptr);
  char day[16];
  std::strftime(day, sizeof day, "%Y-%m-%d", std::localtime(&now));
  return day;
}

Conv2dShape conv(int n, int c, int h, int f, int k, int stride, int pad, bool relu, bool winograd = false) {
  Conv2dShape s;
  s.n = n, s.c = c, s.h = s.w = h, s.f = f, s.kh = s.kw = k, s.stride = stride, s.pad = pad, s.relu = relu;
  s.winograd = winograd;
  return s;
}
}  // namespace

int main(int argc, char** argv) {
  ensure_blas_core(argv);
  CLI::App app{"nullmark CPU convolution benchmark: each pass of each model shape, against the sgemm rate"};
  int threads = 0, reps = 5, batch = 128;
  std::string json_out;
  app.add_option("--threads", threads, "CPU threads (0 = all cores)")->check(CLI::Range(0, 1024));
  app.add_option("--reps", reps, "Timed calls per measurement (the median is reported)")->check(CLI::Range(1, 1000));
  app.add_option("--batch", batch, "Images per call")->check(CLI::Range(1, 4096));
  app.add_option("--json", json_out, "Write the measurements as JSON");
  CLI11_PARSE(app, argc, argv);
  try {
    threads = set_threads(threads);
    const int m = 1024;
    const std::vector<float> a = values(size_t(m) * m, 1), b = values(size_t(m) * m, 2);
    std::vector<float> c(size_t(m) * m);
    // The reference is the fastest of 20 calls: the rate a GEMM reaches when the machine is not
    // disturbed (a median drifts with a shared machine's speed, and shares above 100 % appear).
    double gemm_ms = 1e30;
    for (int r = 0; r < 20; ++r)
      gemm_ms = std::min(gemm_ms, median_ms(1, [&] {
                           cpu::gemm(false, false, m, m, m, 1.0f, a.data(), m, b.data(), m, 0.0f, c.data(), m);
                         }));
    const double peak = 2.0 * m * m * m / gemm_ms / 1e6;
    std::printf("cpu: %s, %d threads; sgemm %dx%dx%d: %.1f GFLOP/s\n", blas_core_name(), threads, m, m, m,
                peak);
    const std::pair<const char*, Conv2dShape> shapes[] = {
        {"digit conv1", conv(batch, 1, 28, 16, 5, 1, 0, true)},
        {"digit conv2", conv(batch, 16, 12, 32, 5, 1, 0, true)},
        {"object 16ch 32x32", conv(batch, 16, 32, 16, 3, 1, 1, false)},
        {"object 16->32 stride 2", conv(batch, 16, 32, 32, 3, 2, 1, false)},
        {"object 16->32 1x1 stride 2", conv(batch, 16, 32, 32, 1, 2, 0, false)},
        {"object 32ch 16x16", conv(batch, 32, 16, 32, 3, 1, 1, false)},
        {"object 32->64 stride 2", conv(batch, 32, 16, 64, 3, 2, 1, false)},
        {"object 32->64 1x1 stride 2", conv(batch, 32, 16, 64, 1, 2, 0, false)},
        {"object 64ch 8x8", conv(batch, 64, 8, 64, 3, 1, 1, false)},
        // The Winograd form (cpu_algorithm: winograd) of the stride-1 layers, at the direct form's
        // FLOP count; its weight gradient without the bias gradient (a ResNet's layers have none).
        {"object 16ch 32x32 winograd", conv(batch, 16, 32, 16, 3, 1, 1, false, true)},
        {"object 32ch 16x16 winograd", conv(batch, 32, 16, 32, 3, 1, 1, false, true)},
        {"object 64ch 8x8 winograd", conv(batch, 64, 8, 64, 3, 1, 1, false, true)}};
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& [name, s] : shapes) {
      const size_t nx = size_t(s.n) * s.c * s.h * s.w, nw = size_t(s.f) * s.col_rows(),
                   ny = size_t(s.n) * s.f * s.oh() * s.ow();
      const std::vector<float> x = values(nx, 3), w = values(nw, 4), bias = values(s.f, 5), dy = values(ny, 6);
      std::vector<float> y(ny), dx(nx), dw(nw), db(s.f), work(cpu::conv2d_workspace(s));
      cpu::conv2d_forward(s, x.data(), w.data(), bias.data(), y.data(), work.data());
      const double flops = 2.0 * ny * s.col_rows();
      const std::pair<const char*, double> passes[] = {
          {"forward", median_ms(reps, [&] {
             cpu::conv2d_forward(s, x.data(), w.data(), bias.data(), y.data(), work.data());
           })},
          {"input gradient", median_ms(reps, [&] {
             cpu::conv2d_backward<float>(s, x.data(), w.data(), y.data(), dy.data(), dx.data(), nullptr, nullptr,
                                         GradMode::Overwrite, work.data());
           })},
          {"weight gradient", median_ms(reps, [&] {
             cpu::conv2d_backward<float>(s, x.data(), w.data(), y.data(), dy.data(), nullptr, dw.data(),
                                         s.winograd ? nullptr : db.data(), GradMode::Overwrite, work.data());
           })}};
      for (const auto& [pass, ms] : passes) {
        const double gflops = flops / ms / 1e6;
        const std::string shape = format("%dx%dx%dx%d f%d k%d s%d", s.n, s.c, s.h, s.w, s.f, s.kh, s.stride);
        std::printf("%-28s %-34s %-16s %8.2f ms %7.1f GFLOP/s %5.1f %% of sgemm\n", name, shape.c_str(), pass, ms,
                    gflops, 100 * gflops / peak);
        rows.push_back({{"layer", name}, {"shape", shape}, {"pass", pass}, {"ms", ms}, {"gflops", gflops},
                        {"share_of_sgemm", gflops / peak}});
      }
    }
    // The passes of a residual block that are not convolutions: bound by memory, so in GB/s of the
    // fewest bytes each must read and write (4 bytes a value).
    const std::pair<const char*, BatchNormShape> planes[] = {
        {"object 16ch 32x32", BatchNormShape{batch, 16, 32 * 32, 1e-5, 0.1, true}},
        {"object 32ch 16x16", BatchNormShape{batch, 32, 16 * 16, 1e-5, 0.1, true}},
        {"object 64ch 8x8", BatchNormShape{batch, 64, 8 * 8, 1e-5, 0.1, true}}};
    for (const auto& [name, s] : planes) {
      const size_t n = size_t(s.n) * s.c * s.plane;
      const std::vector<float> x = values(n, 7), dy = values(n, 8), gamma = values(s.c, 9), beta = values(s.c, 10);
      std::vector<float> y(n), dx(n), mean(s.c), invstd(s.c), rmean(s.c), rvar(s.c, 1.0f), dgamma(s.c), dbeta(s.c);
      cpu::batchnorm_forward_train(s, x.data(), gamma.data(), beta.data(), y.data(), mean.data(), invstd.data(),
                                   rmean.data(), rvar.data());
      const std::tuple<const char*, int, double> passes[] = {
          {"batchnorm+relu forward", 2, median_ms(reps, [&] {
             cpu::batchnorm_forward_train(s, x.data(), gamma.data(), beta.data(), y.data(), mean.data(),
                                          invstd.data(), rmean.data(), rvar.data());
           })},
          {"batchnorm+relu backward", 4, median_ms(reps, [&] {
             cpu::batchnorm_backward_train(s, x.data(), gamma.data(), mean.data(), invstd.data(), y.data(), dy.data(),
                                           dx.data(), dgamma.data(), dbeta.data(), GradMode::Overwrite);
           })},
          {"add", 3, median_ms(reps, [&] { cpu::add(n, x.data(), dy.data(), dx.data()); })},
          {"relu forward", 2, median_ms(reps, [&] { cpu::relu_forward(n, x.data(), dx.data()); })},
          {"relu backward", 3, median_ms(reps, [&] {
             cpu::relu_backward(n, y.data(), dy.data(), dx.data(), GradMode::Overwrite);
           })},
          {"accumulate", 3, median_ms(reps, [&] { cpu::accumulate(n, x.data(), dx.data()); })}};
      for (const auto& [pass, tensors, ms] : passes) {
        const double gbs = 4.0 * tensors * n / ms / 1e6;
        const std::string shape = format("%dx%dx%d", s.n, s.c, s.plane);
        std::printf("%-28s %-34s %-24s %8.2f ms %7.1f GB/s\n", name, shape.c_str(), pass, ms, gbs);
        rows.push_back({{"layer", name}, {"shape", shape}, {"pass", pass}, {"ms", ms}, {"gbytes_per_s", gbs}});
      }
    }
    if (!json_out.empty())
      write_file_atomic(json_out, nlohmann::json{{"date", today()},
                                                 {"machine", machine()},
                                                 {"blas_core", blas_core_name()},
                                                 {"threads", threads},
                                                 {"batch", batch},
                                                 {"sgemm_gflops", peak},
                                                 {"results", rows}}
                                          .dump(2) +
                                      "\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
