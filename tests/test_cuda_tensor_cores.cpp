// Tier 2, tensor cores: convolutions and dense layers in tf32 and bf16 (kernels/precision.h) against
// the CPU oracle of precision_oracle.h (operands rounded as the kernels round them, sums in float64).
//   Native (the tensor-core GEMM): bit for bit on operands whose rounding is known and whose sums are
//   exact, on every small convolution shape; within 1e-5 of the products' magnitudes on random
//   operands (float32 accumulation in another order is all that may differ).
//   Libraries in the same precision (cuDNN and cuBLAS in tf32 and bf16): within what any rounding of
//   both operands allows (2^-8 of the magnitudes in tf32, 2^-6 in bf16), since they may round the
//   operands another way (their rounding mode is not documented); cuDNN in bf16 within 2^-5, since it
//   rounds its results to bfloat16 as well.
// Plus the refusals of the direct form outside fp32.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>

#include "conv_reference.h"
#include "cuda_check.h"
#include "cuda_test_data.h"
#include "kernels/conv2d.h"
#include "kernels/cuda/conv_cudnn.h"
#include "kernels/dense.h"
#include "precision_oracle.h"

using namespace nullmark;
using nullmark::test::GpuCheck;
using nullmark::test::up;
using nullmark::test::zeros;

namespace {
double library_rtol(Precision p) { return std::ldexp(1.0, p == Precision::Bf16 ? -6 : -8); }

std::shared_ptr<cuda::Context> context_in(Precision p) {
  cuda::ContextOptions o = cuda::ContextOptions::from_environment();
  o.precision = p;
  return std::make_shared<cuda::Context>(o);
}

// |gpu - oracle| <= rtol * magnitude + 1e-30 everywhere (rtol 0: bit for bit); the first five
// misses are reported.
void near(const char* what, const std::vector<double>& oracle, const std::vector<double>& magnitude,
          const std::vector<float>& gpu, double rtol) {
  REQUIRE(oracle.size() == gpu.size());
  size_t bad = 0;
  for (size_t i = 0; i < gpu.size(); ++i) {
    const double err = std::fabs(static_cast<double>(gpu[i]) - oracle[i]);
    const bool ok = rtol == 0 ? static_cast<double>(gpu[i]) == oracle[i] : err <= rtol * magnitude[i] + 1e-30;
    if (!ok && bad++ < 5)
      FAIL_CHECK(what << "[" << i << "]: oracle " << oracle[i] << " gpu " << gpu[i] << " (magnitude " << magnitude[i]
                      << ")");
  }
  CHECK(bad == 0);
}

// One convolution on the GPU in the context's precision, its backward pass masked by the oracle's y
// (so that an output the two round to opposite sides of zero cannot flip the ReLU's mask).
struct GpuConv {
  std::vector<float> y, dx, dw, db;
  GpuConv(const cuda::Context& gpu, const Conv2dShape& s, KernelImpl impl, const std::vector<float>& x,
          const std::vector<float>& w, const std::vector<float>& b, const std::vector<float>& dy,
          const std::vector<double>& oracle_y) {
    auto gx = up(x), gw = up(w), gb = up(b), gdy = up(dy), gyo = up(std::vector<float>(oracle_y.begin(), oracle_y.end()));
    auto gy = zeros<float>(dy.size()), gdx = zeros<float>(x.size()), gdw = zeros<float>(w.size()),
         gdb = zeros<float>(s.f), work = zeros<float>(cuda::conv2d_workspace(gpu, s, impl));
    cuda::conv2d_forward(gpu, s, gx.data(), gw.data(), gb.data(), gy.data(), work.data(), impl);
    cuda::conv2d_backward(gpu, s, gx.data(), gw.data(), gyo.data(), gdy.data(), gdx.data(), gdw.data(), gdb.data(),
                          GradMode::Overwrite, work.data(), impl);
    y = gy.download(), dx = gdx.download(), dw = gdw.download(), db = gdb.download();
  }
};
}  // namespace

TEST_CASE("tensor cores: convolutions bit for bit with the oracle on operands whose rounding is known",
          "[cuda][precision][conv2d]") {
  GpuCheck present;
  for (Precision p : {Precision::Tf32, Precision::Bf16}) {
    const auto gpu = context_in(p);
    INFO(precision_name(p));
    const int shapes = test::for_each_small_conv_shape([&](Conv2dShape s) {
      s.relu = (s.h + s.w) % 2 == 0;
      INFO(test::conv_shape_name(s));
      REQUIRE(static_cast<long>(s.col_cols()) <= test::exact_sum_terms(p));
      for (int rounding = 0; rounding < 3; ++rounding) {  // x, w or dy drawn to round; the others small integers
        INFO("rounding operand " << rounding);
        const test::ExactConvOperands t(p, s, rounding);
        const test::ConvOracle o(p, s, t.x, t.w, t.b, t.dy);
        for (KernelImpl impl : {KernelImpl::Native, KernelImpl::Gemm}) {
          const GpuConv g(*gpu, s, impl, t.x, t.w, t.b, t.dy, o.y);
          near("y", o.y, o.y_mag, g.y, 0);
          near("dx", o.dx, o.dx_mag, g.dx, 0);
          near("dw", o.dw, o.dw_mag, g.dw, 0);
          near("db", o.db, o.db, g.db, 0);
        }
      }
    });
    CHECK(shapes > 1000);
  }
}

TEST_CASE("tensor cores: convolutions within float32 accumulation of the oracle; cuDNN alike",
          "[cuda][precision][conv2d]") {
  GpuCheck present;
  struct Case {
    int n, c, h, w, f, k, stride, pad;
  };
  const Case cases[] = {{1, 3, 7, 7, 5, 3, 1, 1},    {2, 1, 28, 28, 6, 5, 1, 0}, {3, 3, 7, 7, 4, 3, 2, 1},
                        {2, 16, 9, 11, 70, 3, 1, 1}, {1, 4, 8, 6, 3, 1, 1, 0},   {4, 8, 13, 13, 65, 3, 2, 0},
                        {130, 3, 7, 7, 2, 3, 1, 0},  {8, 16, 32, 32, 16, 3, 1, 1}, {8, 64, 8, 8, 64, 3, 1, 1}};
  for (Precision p : {Precision::Tf32, Precision::Bf16}) {
    const auto gpu = context_in(p);
    for (int relu = 0; relu < 2; ++relu)
      for (const Case& t : cases)
        for (KernelImpl impl : {KernelImpl::Native, KernelImpl::Library}) {
          if (impl == KernelImpl::Library && !cuda::cudnn_available()) continue;
          Conv2dShape s;
          s.n = t.n, s.c = t.c, s.h = t.h, s.w = t.w, s.f = t.f, s.kh = s.kw = t.k, s.stride = t.stride, s.pad = t.pad;
          s.relu = relu;
          INFO(precision_name(p) << " " << conv_impl_name(impl) << " " << test::conv_shape_name(s));
          const test::ConvReference r(s);  // its random operands
          const test::ConvOracle o(p, s, r.x, r.w, r.b, r.dy);
          const GpuConv g(*gpu, s, impl, r.x, r.w, r.b, r.dy, o.y);
          const double rtol = impl == KernelImpl::Native ? 1e-5
                              : p == Precision::Bf16  ? std::ldexp(1.0, -5)  // results rounded to bfloat16 too
                                                      : library_rtol(p);
          near("y", o.y, o.y_mag, g.y, rtol);
          near("dx", o.dx, o.dx_mag, g.dx, rtol);
          near("dw", o.dw, o.dw_mag, g.dw, rtol);
        }
  }
}

TEST_CASE("tensor cores: dense layers, native bit for bit and within tolerance; cuBLAS within tolerance",
          "[cuda][precision][dense]") {
  GpuCheck present;
  for (Precision p : {Precision::Tf32, Precision::Bf16}) {
    const auto gpu = context_in(p);
    for (const DenseShape& d : {DenseShape{1, 3, 10}, DenseShape{67, 65, 129}, DenseShape{130, 200, 43}})
      for (int exact = 0; exact < 2; ++exact)
        for (KernelImpl impl : {KernelImpl::Native, KernelImpl::Library}) {
          if (exact && impl == KernelImpl::Library) continue;
          INFO(precision_name(p) << " n" << d.n << " in" << d.in << " out" << d.out << " "
                                 << (impl == KernelImpl::Native ? "native" : "cublas") << (exact ? " exact" : ""));
          const size_t nx = static_cast<size_t>(d.n) * d.in, nw = static_cast<size_t>(d.out) * d.in,
                       ny = static_cast<size_t>(d.n) * d.out;
          // Exact: x drawn to round, w and dy small integers (every sum is short enough to be exact).
          const auto x = exact ? test::rounding_values(p, nx, 1) : test::random_floats(nx, 1);
          const auto w = exact ? test::small_ints(nw, 2) : test::random_floats(nw, 2);
          const auto b = exact ? test::small_ints(d.out, 3) : test::random_floats(d.out, 3);
          const auto dy = exact ? test::small_ints(ny, 4) : test::random_floats(ny, 4);
          if (exact) REQUIRE(std::max(d.in, std::max(d.out, d.n)) <= test::exact_sum_terms(p));
          const test::DenseOracle o(p, d, x, w, b, dy);
          auto gx = up(x), gw = up(w), gb = up(b), gdy = up(dy);
          auto gy = zeros<float>(ny), gdx = zeros<float>(nx), gdw = zeros<float>(nw), gdb = zeros<float>(d.out);
          cuda::dense_forward(*gpu, d, gx.data(), gw.data(), gb.data(), gy.data(), impl);
          cuda::dense_backward(*gpu, d, gx.data(), gw.data(), gdy.data(), gdx.data(), gdw.data(), gdb.data(),
                               GradMode::Overwrite, impl);
          const double rtol = exact ? 0 : impl == KernelImpl::Native ? 1e-5 : library_rtol(p);
          near("y", o.y, o.y_mag, gy.download(), rtol);
          near("dx", o.dx, o.dx_mag, gdx.download(), rtol);
          near("dw", o.dw, o.dw_mag, gdw.download(), rtol);
          std::vector<double> db_scale(o.db.size(), 1.0 * d.n);  // a plain float32 sum of n terms below 1
          near("db", o.db, db_scale, gdb.download(), exact ? 0 : 1e-6);
        }
  }
}

TEST_CASE("tensor cores: the direct convolution form, float32 only, is refused in tf32 and bf16, saying so",
          "[cuda][precision]") {
  GpuCheck present;
  const auto bf16 = context_in(Precision::Bf16);
  Conv2dShape s;
  s.n = 2, s.c = 3, s.h = s.w = 8, s.f = 4, s.kh = s.kw = 3, s.pad = 1;
  auto x = zeros<float>(2 * 3 * 64), w = zeros<float>(4 * 27), y = zeros<float>(2 * 4 * 64),
       work = zeros<float>(cuda::conv2d_workspace(*bf16, s, KernelImpl::Gemm) + 1);
  CHECK_THROWS_WITH(cuda::conv2d_forward(*bf16, s, x.data(), w.data(), nullptr, y.data(), work.data(), KernelImpl::Direct),
                    Catch::Contains("direct form has float32 kernels only"));
  cuda::ContextOptions o;
  o.precision = Precision::Tf32;
  o.conv_form = KernelImpl::Direct;
  CHECK_THROWS_WITH(cuda::Context(o), Catch::Contains("direct form has float32 kernels only"));
}
