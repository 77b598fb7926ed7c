// Per-kernel GPU benchmark: nullmark's hand-written kernels against cuDNN / cuBLAS on the shapes the
// "digit" and "object" models train, plus the watermark batch kernel's bandwidth. Prints one line
// per measurement (time, GFLOP/s or GB/s, share of the card's peak) and writes them as JSON. The
// watermark kernel is also compared with the same traffic without stamping (bench/fanout_copy.cu).
//
//   build/bench_kernels_cuda [--reps 20] [--json OUT] [--no-direct]
// --no-direct pins `native` to the implicit GEMM and leaves out the direct kernels' rows: what
// bench/gpu_validate.sh reruns when the direct kernels fail on a card, so the other rows still come back.
// Peaks: FP32 (non-tensor) FLOP/s and memory bandwidth are looked up by card name (H100, H200,
// A100), and the bandwidth is also measured with a device-to-device copy; unknown cards report 0.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/fanout_copy.h"
#include "common/files.h"
#include "kernels/conv2d.h"
#include "kernels/cuda/conv_cudnn.h"
#include "kernels/cuda/conv_direct.h"
#include "kernels/cuda/conv_direct_chunked.h"
#include "kernels/cuda/device.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/timing.h"
#include "kernels/dense.h"
#include "kernels/leaky_relu.h"
#include "kernels/relu.h"
#include "kernels/watermark_batch.h"
#include "nn/device_array.h"

using namespace nullmark;

namespace {
struct Peak {
  double tflops = 0, tbps = 0;  // FP32 non-tensor TFLOP/s, memory TB/s
};
Peak nominal_peak(const std::string& name) {
  if (name.find("H200") != std::string::npos) return {67.0, 4.8};
  if (name.find("H100") != std::string::npos)
    return name.find("PCIe") != std::string::npos ? Peak{51.0, 2.0} : Peak{67.0, 3.35};
  if (name.find("A100") != std::string::npos) return {19.5, 2.0};
  return {};
}

DeviceArray<float> filled(size_t n) {
  std::vector<float> host(n);
  for (size_t i = 0; i < n; ++i) host[i] = static_cast<float>((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
  DeviceArray<float> d(Device::CUDA, n);
  d.upload(host.data(), n);
  return d;
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nullmark CUDA kernel benchmark"};
  int reps = 20;
  std::string json_out;
  app.add_option("--reps", reps, "Timed repetitions per measurement");
  app.add_option("--json", json_out, "Write the results as JSON");
  bool no_direct = false;
  app.add_flag("--no-direct", no_direct, "Leave out the direct convolution kernels (native = implicit GEMM)");
  CLI11_PARSE(app, argc, argv);
  try {
    const cuda::DeviceInfo info = cuda::query_device();
    if (!info.available) throw std::runtime_error("no CUDA device: " + info.description);
    cuda::set_current_stream(cuda::create_stream());
    cuda::set_allow_tf32(false);
    if (no_direct) cuda::set_conv_native_form(cuda::ConvNativeForm::Gemm);
    const Peak peak = nominal_peak(info.description);
    nlohmann::json rows = nlohmann::json::array(), tilings = nlohmann::json::array();
    auto report = [&](const std::string& kernel, const std::string& shape, const std::string& impl, double ms,
                      double flops, double bytes) {
      const double gflops = flops / ms / 1e6, gbps = bytes / ms / 1e6;
      const double share = flops > 0 ? gflops / (peak.tflops * 1e3) : gbps / (peak.tbps * 1e3);
      std::printf("%-26s %-30s %-7s %9.4f ms %9.1f GFLOP/s %8.1f GB/s %6.1f%% of peak\n", kernel.c_str(), shape.c_str(),
                  impl.c_str(), ms, gflops, gbps, peak.tflops > 0 ? 100 * share : 0.0);
      rows.push_back({{"kernel", kernel}, {"shape", shape}, {"impl", impl}, {"ms", ms}, {"gflops", gflops},
                      {"gbps", gbps}, {"share_of_peak", peak.tflops > 0 ? share : 0.0}});
    };

    // Memory bandwidth as a device-to-device copy reaches it (read + write of 1 GiB).
    const size_t big = size_t(1) << 28;
    DeviceArray<float> src(Device::CUDA, big), dst(Device::CUDA, big);
    const double copy_ms =
        cuda::time_ms([&] { cuda::copy_device(dst.data(), src.data(), big * sizeof(float)); }, std::max(3, reps / 4));
    const double copy_gbps = 2.0 * big * sizeof(float) / copy_ms / 1e6;
    std::printf("device: %s; nominal peak %.1f TFLOP/s FP32, %.2f TB/s; measured copy %.0f GB/s\n",
                info.description.c_str(), peak.tflops, peak.tbps, copy_gbps);

    struct ConvCase {
      const char* name;
      Conv2dShape s;
      bool first;  // the network's first layer: training asks for no input gradient
    };
    auto conv = [](int n, int c, int h, int f, int k, int stride, int pad, bool relu) {
      Conv2dShape s;
      s.n = n, s.c = c, s.h = s.w = h, s.f = f, s.kh = s.kw = k, s.stride = stride, s.pad = pad, s.relu = relu;
      return s;
    };
    const ConvCase convs[] = {{"digit conv1 (x3 watermark)", conv(384, 1, 28, 16, 5, 1, 0, true), true},
                              {"digit conv2 (x3 watermark)", conv(384, 16, 12, 32, 5, 1, 0, true), false},
                              {"object 16ch 32x32", conv(384, 16, 32, 16, 3, 1, 1, false), false},
                              {"object 32ch 16x16", conv(384, 32, 16, 32, 3, 1, 1, false), false},
                              {"object 64ch 8x8", conv(384, 64, 8, 64, 3, 1, 1, false), false}};
    for (const ConvCase& cc : convs) {
      const Conv2dShape& s = cc.s;
      const size_t nx = size_t(s.n) * s.c * s.h * s.w, nw = size_t(s.f) * s.col_rows(),
                   ny = size_t(s.n) * s.f * s.oh() * s.ow();
      auto x = filled(nx), w = filled(nw), b = filled(s.f), dy = filled(ny);
      DeviceArray<float> y(Device::CUDA, ny), dx(Device::CUDA, nx), dw(Device::CUDA, nw), db(Device::CUDA, s.f);
      const double flops = 2.0 * ny * s.col_rows();
      char shape[64];
      std::snprintf(shape, sizeof shape, "%dx%dx%dx%d f%d k%d", s.n, s.c, s.h, s.w, s.f, s.kh);
      // native = direct or gemm per product (see kernels/conv2d.h); both forms are timed on their own too.
      for (ConvImpl impl : {ConvImpl::Native, ConvImpl::Gemm, ConvImpl::Direct, ConvImpl::Cudnn}) {
        if (impl == ConvImpl::Cudnn && !cuda::cudnn_available()) continue;  // built without cuDNN
        if (impl == ConvImpl::Direct && (no_direct || !(cuda::conv2d_direct_forward_fits(s, SIZE_MAX) &&
                                          cuda::conv2d_direct_input_grad_fits(s, SIZE_MAX) &&
                                          cuda::conv2d_direct_weight_grad_fits(s, SIZE_MAX))))
          continue;  // left out, or more shared memory than this card has
        DeviceArray<float> work(Device::CUDA, cuda::conv2d_workspace(s, impl));
        const char* name = conv_impl_name(impl);
        const double f = cuda::time_ms(
            [&] { cuda::conv2d_forward(s, x.data(), w.data(), b.data(), y.data(), work.data(), impl); }, reps);
        report(std::string(cc.name) + " fwd", shape, name, f, flops, 0);
        auto backward = [&](float* dx_or_null) {
          return cuda::time_ms(
              [&] {
                cuda::conv2d_backward(s, x.data(), w.data(), y.data(), dy.data(), dx_or_null, dw.data(), db.data(),
                                      GradMode::Overwrite, work.data(), impl);
              },
              reps);
        };
        report(std::string(cc.name) + " bwd", shape, name, backward(dx.data()), 2 * flops, 0);
        if (cc.first) report(std::string(cc.name) + " bwd, no dx", shape, name, backward(nullptr), flops, 0);
      }
      // The two direct forward programs on their own (`direct` above is the one conv2d_forward picks).
      if (no_direct) continue;
      cuda::DirectFwd bank = cuda::DirectFwd::plan(s);
      bank.x = x.data(), bank.wt = w.data(), bank.b = b.data(), bank.y = y.data();
      if (cuda::conv2d_direct_fits(bank.smem_floats(), SIZE_MAX))
        report(std::string(cc.name) + " fwd", shape, "direct-bank",
               cuda::time_ms([&] { cuda::conv2d_direct_forward(bank); }, reps), flops, 0);
      // The chunked program as the model plans it; with one buffer where the plan pipelines its
      // staging; with its warps across images where the plan spans them across filter groups; with
      // full blocks where it spreads the images thinner; and as first measured (full blocks, one
      // buffer, warps across images) where that differs from all of these.
      using cuda::ChunkImages;
      using cuda::ChunkStaging;
      using cuda::ChunkWarps;
      const cuda::DirectFwdChunked planned = cuda::DirectFwdChunked::plan(s);
      if (!planned.fits_threads()) continue;
      struct Variant {
        const char* name;
        ChunkImages images;
        ChunkStaging staging;
        ChunkWarps warps;
      };
      const Variant variants[] = {
          {"direct-chunked", ChunkImages::Spread, ChunkStaging::Pipelined, ChunkWarps::Fewest},
          {"direct-chunked, one buffer", ChunkImages::Spread, ChunkStaging::Blocking, ChunkWarps::Fewest},
          {"direct-chunked, warps across images", ChunkImages::Spread, ChunkStaging::Pipelined, ChunkWarps::Images},
          {"direct-chunked, full blocks", ChunkImages::Fill, ChunkStaging::Pipelined, ChunkWarps::Fewest},
          {"direct-chunked, full blocks, one buffer", ChunkImages::Fill, ChunkStaging::Blocking, ChunkWarps::Images}};
      std::vector<cuda::DirectFwdChunked> timed;
      for (const Variant& v : variants) {
        cuda::DirectFwdChunked chunked = cuda::DirectFwdChunked::plan(s, v.images, v.staging, v.warps);
        const bool seen = std::any_of(timed.begin(), timed.end(), [&](const cuda::DirectFwdChunked& t) {
          return t.tile_f == chunked.tile_f && t.imgs == chunked.imgs && t.buffers == chunked.buffers &&
                 t.warps_by_filters == chunked.warps_by_filters;
        });
        if (seen) continue;  // the same plan as a row above
        timed.push_back(chunked);
        chunked.x = x.data(), chunked.wt = w.data(), chunked.b = b.data(), chunked.y = y.data();
        report(std::string(cc.name) + " fwd", shape, v.name,
               cuda::time_ms([&] { cuda::conv2d_direct_forward_chunked(chunked); }, reps), flops, 0);
      }
      // Every tiling that keeps a block busy, with pipelined staging, beside the model's estimate:
      // the data to check cuda::chunk_model_cost by (the model's plan takes the tiling it rates
      // fastest; `native` above took the fastest measured).
      for (const cuda::ChunkTiling& t : cuda::chunk_busy_tilings(s)) {
        cuda::DirectFwdChunked d = cuda::DirectFwdChunked::plan(s, t, ChunkStaging::Pipelined);
        d.x = x.data(), d.wt = w.data(), d.b = b.data(), d.y = y.data();
        const double ms = cuda::time_ms([&] { cuda::conv2d_direct_forward_chunked(d); }, reps);
        const bool model_choice = d.tile_f == planned.tile_f && d.imgs == planned.imgs;
        const char* warps = d.warps_by_filters ? "filters" : "images";
        std::printf("%-26s %-30s tiling %3d filters x %2d images (warps across %s): %4d blocks of %3d threads, model %.3g%s %9.4f ms\n",
                    cc.name, shape, d.tile_f, d.imgs, warps, d.blocks * d.slices, d.threads,
                    cuda::chunk_model_cost(s, t), model_choice ? " (the model's choice)" : "", ms);
        tilings.push_back({{"kernel", std::string(cc.name) + " fwd"}, {"shape", shape}, {"tile_filters", d.tile_f},
                           {"slices", d.slices}, {"images", d.imgs}, {"warps_across", warps}, {"threads", d.threads},
                           {"blocks", d.blocks * d.slices}, {"chunks", d.chunks},
                           {"model_cost", cuda::chunk_model_cost(s, t)}, {"model_choice", model_choice},
                           {"ms", ms}, {"gflops", flops / ms / 1e6}});
      }
    }

    for (const DenseShape& d : {DenseShape{384, 512, 512}, DenseShape{384, 512, 10}, DenseShape{4096, 4096, 4096}}) {
      auto x = filled(size_t(d.n) * d.in), w = filled(size_t(d.out) * d.in), b = filled(d.out),
           dy = filled(size_t(d.n) * d.out);
      DeviceArray<float> y(Device::CUDA, size_t(d.n) * d.out), dx(Device::CUDA, size_t(d.n) * d.in),
          dw(Device::CUDA, size_t(d.out) * d.in), db(Device::CUDA, d.out);
      char shape[64];
      std::snprintf(shape, sizeof shape, "%d x %d -> %d", d.n, d.in, d.out);
      const double flops = 2.0 * d.n * d.in * d.out;
      for (GemmImpl impl : {GemmImpl::Native, GemmImpl::Cublas}) {
        const char* name = impl == GemmImpl::Native ? "native" : "cublas";
        report("dense fwd", shape, name, cuda::time_ms([&] { cuda::dense_forward(d, x.data(), w.data(), b.data(), y.data(), impl); }, reps),
               flops, 0);
        report("dense bwd", shape, name,
               cuda::time_ms([&] {
                 cuda::dense_backward(d, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data(),
                                      GradMode::Overwrite, impl);
               }, reps),
               2 * flops, 0);
      }
    }

    // Activations (bandwidth-bound: one read, one write each way; the backward also reads y).
    {
      const size_t count = size_t(384) * 16 * 32 * 32;
      auto x = filled(count), dy = filled(count);
      DeviceArray<float> y(Device::CUDA, count), dx(Device::CUDA, count);
      const std::string shape = std::to_string(count) + " values";
      report("relu fwd", shape, "native", cuda::time_ms([&] { cuda::relu_forward(count, x.data(), y.data()); }, reps), 0,
             8.0 * count);
      report("leaky_relu fwd", shape, "native",
             cuda::time_ms([&] { cuda::leaky_relu_forward(count, 0.01f, x.data(), y.data()); }, reps), 0, 8.0 * count);
      report("leaky_relu bwd", shape, "native",
             cuda::time_ms([&] { cuda::leaky_relu_backward(count, 0.01f, y.data(), dy.data(), dx.data(), GradMode::Overwrite); },
                     reps),
             0, 12.0 * count);
    }

    // Watermark batch: reads B images once, writes 3B (clean, null, true) and the labels.
    for (auto [b, c, h] : {std::array<int, 3>{128, 1, 28}, {128, 3, 32}, {4096, 3, 32}}) {
      const ImageShape s{c, h, h};
      const size_t per = s.size();
      auto x = filled(per * b);
      DeviceArray<float> out(Device::CUDA, 3 * per * b);
      DeviceArray<int32_t> labels(Device::CUDA, b), out_labels(Device::CUDA, 3 * b);
      DeviceArray<uint8_t> bits(Device::CUDA, 36);
      WatermarkPattern p;
      p.row = 3, p.col = 5, p.n = 6, p.bits = bits.data(), p.lambda = 10, p.label = 1;
      const double ms = cuda::time_ms([&] { cuda::watermark_batch(s, p, b, b, b, x.data(), labels.data(), out.data(), out_labels.data()); }, reps);
      const double bytes = 4.0 * per * b * sizeof(float) + 4.0 * b * sizeof(int32_t);
      char shape[64];
      std::snprintf(shape, sizeof shape, "%d x %dx%dx%d", b, c, h, h);
      report("watermark batch", shape, "native", ms, 0, bytes);
      const size_t row = rows.size() - 1;  // an index: the rows below may move the array
      rows[row]["share_of_copy_bandwidth"] = bytes / ms / 1e6 / copy_gbps;
      // The same traffic without stamping: what this access pattern reaches on the card.
      double plain_ms = 0;
      for (bool streaming : {false, true}) {
        const double t =
            cuda::time_ms([&] { bench::fanout_copy(x.data(), out.data(), per * b, streaming); }, reps);
        report("watermark traffic, copies only", shape, streaming ? "stream" : "plain", t, 0, bytes);
        if (!streaming) plain_ms = t;
      }
      rows[row]["share_of_plain_copies"] = plain_ms / ms;
      std::printf("%-26s %-30s %-7s %s %.1f%% of the measured copy, %.1f%% of the same traffic without stamping\n",
                  "watermark batch", shape, "native", "reaches", 100 * bytes / ms / 1e6 / copy_gbps, 100 * plain_ms / ms);
    }
    if (!json_out.empty()) {
      const nlohmann::json j = {{"device", info.description},  {"nominal_tflops_fp32", peak.tflops},
                                {"nominal_tbps", peak.tbps},     {"measured_copy_gbps", copy_gbps},
                                {"tf32", false},                 {"direct_left_out", no_direct},
                                {"results", rows},               {"chunked_tilings", tilings}};
      write_file_atomic(json_out, j.dump(2) + "\n");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
