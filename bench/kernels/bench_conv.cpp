// Convolutions: every implementation (native, implicit GEMM, direct, cuDNN) on the shapes the
// "digit" and "object" models train, both passes; the bank-resident direct forward program on its
// own; and every busy tiling of the chunked program beside its cost model's estimate.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/kernels/kernel_bench.h"
#include "common/format.h"
#include "kernels/conv2d.h"
#include "kernels/cuda/conv_cudnn.h"
#include "kernels/cuda/conv_direct.h"
#include "kernels/cuda/conv_direct_chunked.h"
#include "kernels/cuda/timing.h"

namespace nullmark::bench {

namespace {
// native = direct or gemm per product (see kernels/conv2d.h); both forms are timed on their own too.
void implementations(KernelBench& bench, const ConvCase& cc, ConvData& t, const std::string& shape, double flops) {
  const Conv2dShape& s = cc.s;
  for (KernelImpl impl : {KernelImpl::Native, KernelImpl::Gemm, KernelImpl::Direct, KernelImpl::Library}) {
    if (impl == KernelImpl::Library && !cuda::cudnn_available()) continue;  // built without cuDNN
    if (impl == KernelImpl::Direct && (bench.no_direct || !(cuda::conv2d_direct_forward_fits(s, SIZE_MAX) &&
                                                          cuda::conv2d_direct_input_grad_fits(s, SIZE_MAX) &&
                                                          cuda::conv2d_direct_weight_grad_fits(s, SIZE_MAX))))
      continue;  // left out, or more shared memory than this card has
    DeviceArray<float> work(Device::CUDA, cuda::conv2d_workspace(bench.gpu(), s, impl));
    const char* name = conv_impl_name(impl);
    const double f = cuda::time_ms(bench.gpu(), 
        [&] { cuda::conv2d_forward(bench.gpu(), s, t.x.data(), t.w.data(), t.b.data(), t.y.data(), work.data(), impl); },
        bench.reps);
    bench.report(std::string(cc.name) + " fwd", shape, name, f, flops, 0);
    auto backward = [&](float* dx_or_null) {
      return cuda::time_ms(bench.gpu(), 
          [&] {
            cuda::conv2d_backward(bench.gpu(), s, t.x.data(), t.w.data(), t.y.data(), t.dy.data(), dx_or_null, t.dw.data(),
                                  t.db.data(), GradMode::Overwrite, work.data(), impl);
          },
          bench.reps);
    };
    bench.report(std::string(cc.name) + " bwd", shape, name, backward(t.dx.data()), 2 * flops, 0);
    if (cc.first) bench.report(std::string(cc.name) + " bwd, no dx", shape, name, backward(nullptr), flops, 0);
  }
}

// The bank-resident direct forward program on its own (`direct` above is the one conv2d_forward
// picks; the chunked program's earlier forms are dev/cuda/conv_chunked_variants).
void direct_bank(KernelBench& bench, const ConvCase& cc, ConvData& t, const std::string& shape, double flops) {
  cuda::DirectFwd bank = cuda::DirectFwd::plan(cc.s);
  bank.x = t.x.data(), bank.wt = t.w.data(), bank.b = t.b.data(), bank.y = t.y.data();
  if (cuda::conv2d_direct_fits(bank.smem_floats(), SIZE_MAX))
    bench.report(std::string(cc.name) + " fwd", shape, "direct-bank",
                 cuda::time_ms(bench.gpu(), [&] { cuda::conv2d_direct_forward(bench.gpu(), bank); }, bench.reps), flops,
                 0);
}

// Every tiling that keeps a block busy, with pipelined staging, beside the model's estimate: the
// data to check cuda::chunk_model_cost by (the model's plan takes the tiling it rates fastest;
// `native` took the fastest measured).
void chunk_tilings(KernelBench& bench, const ConvCase& cc, ConvData& t, const std::string& shape, double flops) {
  const Conv2dShape& s = cc.s;
  const cuda::DirectFwdChunked planned = cuda::DirectFwdChunked::plan(s);
  for (const cuda::ChunkTiling& tiling : cuda::chunk_busy_tilings(s)) {
    cuda::DirectFwdChunked d = cuda::DirectFwdChunked::plan(s, tiling);
    d.x = t.x.data(), d.wt = t.w.data(), d.b = t.b.data(), d.y = t.y.data();
    const double ms = cuda::time_ms(bench.gpu(), [&] { cuda::conv2d_direct_forward_chunked(bench.gpu(), d); }, bench.reps);
    const bool model_choice = d.tile_f == planned.tile_f && d.imgs == planned.imgs;
    const char* warps = d.warps_by_filters ? "filters" : "images";
    std::printf(
        "%-26s %-30s tiling %3d filters x %2d images (warps across %s): %4d blocks of %3d threads, model %.3g%s "
        "%9.4f ms\n",
        cc.name, shape.c_str(), d.tile_f, d.imgs, warps, d.blocks * d.slices, d.threads,
        cuda::chunk_model_cost(s, tiling), model_choice ? " (the model's choice)" : "", ms);
    bench.tilings.push_back({{"kernel", std::string(cc.name) + " fwd"},
                             {"shape", shape},
                             {"tile_filters", d.tile_f},
                             {"slices", d.slices},
                             {"images", d.imgs},
                             {"warps_across", warps},
                             {"threads", d.threads},
                             {"blocks", d.blocks * d.slices},
                             {"chunks", d.chunks},
                             {"model_cost", cuda::chunk_model_cost(s, tiling)},
                             {"model_choice", model_choice},
                             {"ms", ms},
                             {"gflops", flops / ms / 1e6}});
  }
}
}  // namespace

std::vector<ConvCase> model_convolutions() {
  auto conv = [](int n, int c, int h, int f, int k, int pad, bool relu) {
    Conv2dShape s;
    s.n = n, s.c = c, s.h = s.w = h, s.f = f, s.kh = s.kw = k, s.pad = pad, s.relu = relu;
    return s;
  };
  return {{"digit conv1 (x3 watermark)", conv(384, 1, 28, 16, 5, 0, true), true},
          {"digit conv2 (x3 watermark)", conv(384, 16, 12, 32, 5, 0, true), false},
          {"object 16ch 32x32", conv(384, 16, 32, 16, 3, 1, false), false},
          {"object 32ch 16x16", conv(384, 32, 16, 32, 3, 1, false), false},
          {"object 64ch 8x8", conv(384, 64, 8, 64, 3, 1, false), false}};
}

ConvData::ConvData(const Conv2dShape& s)
    : x(filled(size_t(s.n) * s.c * s.h * s.w)),
      w(filled(size_t(s.f) * s.col_rows())),
      b(filled(s.f)),
      dy(filled(size_t(s.n) * s.f * s.oh() * s.ow())),
      y(Device::CUDA, size_t(s.n) * s.f * s.oh() * s.ow()),
      dx(Device::CUDA, size_t(s.n) * s.c * s.h * s.w),
      dw(Device::CUDA, size_t(s.f) * s.col_rows()),
      db(Device::CUDA, s.f) {}

std::string conv_shape_label(const Conv2dShape& s) {
  return format("%dx%dx%dx%d f%d k%d", s.n, s.c, s.h, s.w, s.f, s.kh);
}

void bench_convolutions(KernelBench& bench) {
  for (const ConvCase& cc : model_convolutions()) {
    const Conv2dShape& s = cc.s;
    ConvData t(s);
    const double flops = 2.0 * size_t(s.n) * s.f * s.oh() * s.ow() * s.col_rows();
    const std::string shape = conv_shape_label(s);
    implementations(bench, cc, t, shape, flops);
    if (bench.no_direct) continue;
    direct_bank(bench, cc, t, shape, flops);
    if (cuda::DirectFwdChunked::plan(s).fits_threads()) chunk_tilings(bench, cc, t, shape, flops);
  }
}

}  // namespace nullmark::bench
