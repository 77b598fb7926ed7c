// The direct forward programs launched one by one on the card (conv2d_forward picks one of them per
// shape, so the parity tests of test_cuda_parity.cpp reach each only on the shapes that select it):
// the bank-resident form (kernels/cuda/conv_direct.h) and the channel-chunked form
// (kernels/cuda/conv_direct_chunked.h) against the CPU, on the shapes of the object model's layers
// and on every small shape bit for bit with integer data.
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "conv_reference.h"
#include "cuda_check.h"
#include "cuda_test_data.h"
#include "dev/cuda/conv_chunked_variants.h"
#include "gradcheck.h"
#include "kernels/conv2d.h"
#include "kernels/cuda/conv_direct.h"
#include "kernels/cuda/conv_direct_chunked.h"
#include "kernels/cuda/runtime.h"

using namespace nullmark;
using namespace nullmark::test;  // close, same, GpuCheck and the device-data helpers

namespace {
// y from each direct forward program that takes shape s (the chunked one where its tasks fit a block).
template <class Check>
void each_direct_forward(const Conv2dShape& s, const std::vector<float>& x, const std::vector<float>& w,
                         const std::vector<float>& b, Check&& check) {
  const size_t ny = static_cast<size_t>(s.n) * s.f * s.oh() * s.ow();
  auto gx = up(x), gw = up(w), gb = up(b);
  {
    cuda::DirectFwd d = cuda::DirectFwd::plan(s);
    auto gy = zeros<float>(ny);
    d.x = gx.data(), d.wt = gw.data(), d.b = gb.data(), d.y = gy.data();
    cuda::conv2d_direct_forward(test::gpu(), d);
    check("bank-resident", gy.download());
  }
  // The chunked program as conv2d_forward plans it, and in the forms kept for comparison (one
  // buffer, warps spanning images or filter groups, full blocks: dev/cuda/conv_chunked_variants.h).
  auto run = [&](const std::string& form, cuda::DirectFwdChunked d) {
    if (!d.fits_threads()) return;
    auto gy = zeros<float>(ny);
    d.x = gx.data(), d.wt = gw.data(), d.b = gb.data(), d.y = gy.data();
    cuda::conv2d_direct_forward_chunked(test::gpu(), d);
    check(form.c_str(), gy.download());
  };
  for (const dev::ChunkedVariant& v : dev::chunked_variants(s)) run(v.name, v.plan);
  // ... and in every tiling that keeps a block busy, as bench_kernels_cuda times them.
  for (const cuda::ChunkTiling& t : cuda::chunk_busy_tilings(s))
    run("chunked, " + std::to_string(t.fgroups * cuda::kChunkFilters) + " filters x " + std::to_string(t.imgs) +
            " images a block",
        cuda::DirectFwdChunked::plan(s, t));
}
}  // namespace

TEST_CASE("conv2d: both direct forward programs match the CPU on the card", "[cuda][conv2d]") {
  GpuCheck gpu;
  struct Case {
    int n, c, h, w, f, k, stride, pad;
  };
  const Case cases[] = {{3, 64, 8, 8, 64, 3, 1, 1},       // object stage 3: two images a chunked block
                        {3, 32, 16, 16, 32, 3, 1, 1},     // object stage 2
                        {2, 16, 32, 32, 16, 3, 1, 1},     // object stage 1: 1024 pixels, two filter tiles
                        {2, 32, 16, 16, 64, 3, 2, 1},     // object's stride-2 entry into stage 3
                        {2, 67, 5, 5, 20, 3, 2, 1},       // the last chunk part full, filters past the last
                        {5, 64, 6, 6, 70, 3, 1, 1},       // a bank in slices; a filter tile part full
                        {130, 16, 12, 12, 32, 5, 1, 0}};  // digit conv2 at more images than blocks
  for (int relu = 0; relu < 2; ++relu)
    for (const Case& t : cases) {
      Conv2dShape s;
      s.n = t.n, s.c = t.c, s.h = t.h, s.w = t.w, s.f = t.f, s.kh = s.kw = t.k, s.stride = t.stride, s.pad = t.pad;
      s.relu = relu;
      INFO(test::conv_shape_name(s));
      const test::ConvReference ref(s);
      each_direct_forward(s, ref.x, ref.w, ref.b, [&](const char* form, const std::vector<float>& gy) {
        INFO(form);
        close("y", ref.y, gy);
      });
    }
}

TEST_CASE("conv2d: both direct forward programs exact on integers for every small shape", "[cuda][conv2d]") {
  GpuCheck gpu;
  const int shapes = test::for_each_small_conv_shape([&](Conv2dShape s) {
    s.relu = (s.h + s.w) % 2 == 1;
    INFO(test::conv_shape_name(s));
    const test::ConvReference ref(s, test::ConvValues::SmallInts);
    each_direct_forward(s, ref.x, ref.w, ref.b, [&](const char* form, const std::vector<float>& gy) {
      INFO(form);
      same("y", ref.y, gy);
    });
  });
  CHECK(shapes > 1000);
}

TEST_CASE("conv2d: every chunked tiling gives the same bits on the card, so measuring them changes speed only",
          "[cuda][conv2d]") {
  GpuCheck gpu;
  Conv2dShape s;
  s.n = 7, s.c = 64, s.h = s.w = 8, s.f = 64, s.kh = s.kw = 3, s.stride = 1, s.pad = 1, s.relu = true;
  const test::ConvReference ref(s);
  auto gx = up(ref.x), gw = up(ref.w), gb = up(ref.b);
  const size_t ny = ref.y.size();
  std::vector<float> first;
  const std::vector<cuda::ChunkTiling> all = cuda::chunk_busy_tilings(s);
  REQUIRE(all.size() > 3);
  for (const cuda::ChunkTiling& t : all) {
    cuda::DirectFwdChunked d = cuda::DirectFwdChunked::plan(s, t);
    auto gy = zeros<float>(ny);
    d.x = gx.data(), d.wt = gw.data(), d.b = gb.data(), d.y = gy.data();
    cuda::conv2d_direct_forward_chunked(test::gpu(), d);
    const std::vector<float> y = gy.download();
    if (first.empty()) {
      close("y", ref.y, y);
      first = y;
    }
    INFO(t.fgroups * cuda::kChunkFilters << " filters x " << t.imgs << " images a block");
    same("y, this tiling against the first", first, y);
  }
  // conv2d_forward with tilings measured (the default: the first call times them) and from the model.
  DeviceArray<float> work(Device::CUDA, cuda::conv2d_workspace(test::gpu(), s, KernelImpl::Native));
  for (cuda::ConvTiling tiling : {cuda::ConvTiling::Measured, cuda::ConvTiling::Model}) {
    cuda::ContextOptions o;
    o.conv_tiling = tiling;
    const cuda::Context tiled(o);  // a context of its own: the measured tilings are kept per context
    auto gy = zeros<float>(ny);
    cuda::conv2d_forward(tiled, s, gx.data(), gw.data(), gb.data(), gy.data(), work.data(), KernelImpl::Native);
    same("y from conv2d_forward", first, gy.download());
  }
}
