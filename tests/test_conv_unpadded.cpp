// The direct products of small unpadded stride-1 convolutions (kernels/conv2d_unpadded_cpu.h), on
// random floats: every forward, weight-gradient and input-gradient sum bit for bit in the order that header
// states, computed here with explicit fused multiply-adds; and, where OpenBLAS runs its AVX-512
// kernels, bit for bit as the lowered GEMM form computes the same products (the form the digit
// model's recorded results were trained with). The exact-on-integers tests of the form are in
// test_kernels_exact.cpp, its gradient check in test_kernels_gradcheck.cpp.
#include <cblas.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "conv_reference.h"
#include "kernels/conv2d.h"
#include "kernels/conv2d_unpadded_cpu.h"

extern "C" char* openblas_get_corename(void);

using namespace nullmark;

namespace {

struct Case {
  Conv2dShape s;
  std::vector<float> x, w, y, dy, masked;  // masked: dy where the fused ReLU's output is positive
  explicit Case(const Conv2dShape& shape) : s(shape) {
    const size_t ny = static_cast<size_t>(s.n) * s.f * s.oh() * s.ow();
    x = test::random_floats(static_cast<size_t>(s.n) * s.c * s.h * s.w, 1);
    w = test::random_floats(static_cast<size_t>(s.f) * s.col_rows(), 2);
    dy = test::random_floats(ny, 4);
    y.resize(ny);
    std::vector<float> work(cpu::conv2d_workspace(s));
    cpu::conv2d_forward<float>(s, x.data(), w.data(), nullptr, y.data(), work.data());
    masked = dy;
    for (size_t i = 0; i < ny; ++i)
      if (s.relu && !(y[i] > 0.0f)) masked[i] = 0.0f;
  }
  float X(int n, int c, int iy, int ix) const { return x[((static_cast<size_t>(n) * s.c + c) * s.h + iy) * s.w + ix]; }
  float W(int f, size_t k) const { return w[f * s.col_rows() + k]; }
  float D(int n, int f, int oy, int ox) const {
    return masked[((static_cast<size_t>(n) * s.f + f) * s.oh() + oy) * s.ow() + ox];
  }
};

// A batch small enough to be one block of the lowered loop (the header's per-block chains then run
// over every column of the batch).
Conv2dShape digit_conv2(int n, bool relu) {
  Conv2dShape s;
  s.n = n, s.c = 16, s.h = s.w = 12, s.f = 32, s.kh = s.kw = 5, s.relu = relu;
  return s;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("conv2d's direct unpadded products sum in the stated order", "[conv2d][conv_unpadded]") {
  const Case t(digit_conv2(2, GENERATE(false, true)));
  const Conv2dShape& s = t.s;
  INFO(test::conv_shape_name(s));
  const int oh = s.oh(), ow = s.ow(), taps = s.kh * s.kw;
  REQUIRE(cpu::conv_unpadded::weight_gradient_applies<float>(s, s.n * oh * ow));
  REQUIRE(cpu::conv_unpadded::input_gradient_applies<float>(s));
  REQUIRE(cpu::conv_unpadded::forward_applies<float>(s));
  if (!cpu::conv_unpadded::chains_fused()) {
    WARN("the kernels were compiled without fused multiply-adds: their order is not the one checked here");
    return;
  }

  // Forward: per output, the products over the lowered rows chained from zero, then the bias.
  const std::vector<float> bias = test::random_floats(s.f, 3);
  std::vector<float> want_y(t.y.size());
  for (int n = 0; n < s.n; ++n)
    for (int f = 0; f < s.f; ++f)
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox) {
          float acc = 0.0f;
          for (size_t k = 0; k < s.col_rows(); ++k) {
            const int c = static_cast<int>(k) / taps, i = static_cast<int>(k) % taps / s.kw,
                      j = static_cast<int>(k) % s.kw;
            acc = std::fma(t.W(f, k), t.X(n, c, oy + i, ox + j), acc);
          }
          const float out = acc + bias[f];
          want_y[((static_cast<size_t>(n) * s.f + f) * oh + oy) * ow + ox] = s.relu ? std::max(out, 0.0f) : out;
        }
  std::vector<float> y(t.y.size()), fwd_work(cpu::conv2d_workspace(s));
  cpu::conv2d_forward<float>(s, t.x.data(), t.w.data(), bias.data(), y.data(), fwd_work.data());
  CHECK(same_bits(y, want_y));

  // Weight gradient: per weight, the products over (image, output row, output column) chained from zero.
  std::vector<float> want_dw(t.w.size()), want_dx(t.x.size(), 0.0f);
  for (int f = 0; f < s.f; ++f)
    for (size_t k = 0; k < s.col_rows(); ++k) {
      const int c = static_cast<int>(k) / taps, i = static_cast<int>(k) % taps / s.kw, j = static_cast<int>(k) % s.kw;
      float acc = 0.0f;
      for (int n = 0; n < s.n; ++n)
        for (int oy = 0; oy < oh; ++oy)
          for (int ox = 0; ox < ow; ++ox) acc = std::fma(t.D(n, f, oy, ox), t.X(n, c, oy + i, ox + j), acc);
      want_dw[f * s.col_rows() + k] = acc;
    }
  // Input gradient: per lowered row and output position the products over the filters chained from
  // zero, added to the input in lowered-row order.
  for (int n = 0; n < s.n; ++n)
    for (size_t k = 0; k < s.col_rows(); ++k) {
      const int c = static_cast<int>(k) / taps, i = static_cast<int>(k) % taps / s.kw, j = static_cast<int>(k) % s.kw;
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox) {
          float acc = 0.0f;
          for (int f = 0; f < s.f; ++f) acc = std::fma(t.W(f, k), t.D(n, f, oy, ox), acc);
          want_dx[((static_cast<size_t>(n) * s.c + c) * s.h + oy + i) * s.w + ox + j] += acc;
        }
    }
  std::vector<float> work(cpu::conv2d_workspace(s)), dx(t.x.size()), dw(t.w.size());
  cpu::conv2d_backward<float>(s, t.x.data(), t.w.data(), t.y.data(), t.dy.data(), dx.data(), dw.data(), nullptr,
                              GradMode::Overwrite, work.data());
  // Signed zeros aside (0 + -0 is +0 in the kernel's final additions), equal bits.
  CHECK(dw == want_dw);
  CHECK(dx == want_dx);

  // The lowered GEMM form's products on this machine's OpenBLAS: the same bits on its AVX-512 kernels.
  std::string core = openblas_get_corename();  // "SkylakeX", "Cooperlake", ...
  std::transform(core.begin(), core.end(), core.begin(), [](unsigned char c) { return std::tolower(c); });
  if (core != "skylakex" && core != "cooperlake" && core != "sapphirerapids") {
    WARN("OpenBLAS runs its " << core << " kernels here: the lowered form's sums are not compared");
    return;
  }
  const int cols = s.n * oh * ow, krows = static_cast<int>(s.col_rows());
  std::vector<float> col(static_cast<size_t>(krows) * cols), dym(static_cast<size_t>(s.f) * cols);
  for (int n = 0; n < s.n; ++n)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox) {
        const int p = (n * oh + oy) * ow + ox;
        for (int f = 0; f < s.f; ++f) dym[static_cast<size_t>(f) * cols + p] = t.D(n, f, oy, ox);
        for (int k = 0; k < krows; ++k)
          col[static_cast<size_t>(k) * cols + p] = t.X(n, k / taps, oy + k % taps / s.kw, ox + k % s.kw);
      }
  std::vector<float> gemm_dw(t.w.size(), 0.0f), dcol(col.size()), gemm_dx(t.x.size(), 0.0f);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s.f, krows, cols, 1.0f, dym.data(), cols, col.data(), cols, 1.0f,
              gemm_dw.data(), krows);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, krows, cols, s.f, 1.0f, t.w.data(), krows, dym.data(), cols,
              0.0f, dcol.data(), cols);
  for (int k = 0; k < krows; ++k)
    for (int n = 0; n < s.n; ++n)
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox)
          gemm_dx[((static_cast<size_t>(n) * s.c + k / taps) * s.h + oy + k % taps / s.kw) * s.w + ox + k % s.kw] +=
              dcol[static_cast<size_t>(k) * cols + (n * oh + oy) * ow + ox];
  CHECK(same_bits(gemm_dw, want_dw));
  CHECK(same_bits(gemm_dx, want_dx));
  // The forward GEMM chains these 400 products on the SkylakeX kernels only (Cooperlake's split them).
  if (core != "skylakex") return;
  std::vector<float> gemm_y(static_cast<size_t>(s.f) * cols);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.f, cols, krows, 1.0f, t.w.data(), krows, col.data(), cols,
              0.0f, gemm_y.data(), cols);
  size_t differ = 0;
  for (int n = 0; n < s.n; ++n)
    for (int f = 0; f < s.f; ++f)
      for (int q = 0; q < oh * ow; ++q) {
        const float out = gemm_y[static_cast<size_t>(f) * cols + n * oh * ow + q] + bias[f];
        differ += (s.relu ? std::max(out, 0.0f) : out) != want_y[(static_cast<size_t>(n) * s.f + f) * oh * ow + q];
      }
  CHECK(differ == 0);
}

TEST_CASE("conv2d's direct unpadded products apply only where its sums are the lowered GEMM's",
          "[conv2d][conv_unpadded]") {
  Conv2dShape s = digit_conv2(128, true);
  CHECK(cpu::conv_unpadded::input_gradient_applies<float>(s));
  CHECK(cpu::conv_unpadded::weight_gradient_applies<float>(s, 128));
  CHECK(cpu::conv_unpadded::forward_applies<float>(s));
  Conv2dShape deep = s;  // 800 lowered rows: the GEMM splits the forward sums
  deep.c = 32;
  CHECK_FALSE(cpu::conv_unpadded::forward_applies<float>(deep));
  CHECK_FALSE(cpu::conv_unpadded::weight_gradient_applies<float>(s, 257));  // the GEMM splits longer sums
  Conv2dShape first = s;  // the digit model's first layer: 16 filters, 24x24 outputs
  first.c = 1, first.h = first.w = 28, first.f = 16;
  CHECK_FALSE(cpu::conv_unpadded::weight_gradient_applies<float>(first, 64));
  CHECK_FALSE(cpu::conv_unpadded::input_gradient_applies<float>(first));
  CHECK_FALSE(cpu::conv_unpadded::forward_applies<float>(first));
  Conv2dShape padded = s;
  padded.pad = 1;
  CHECK_FALSE(cpu::conv_unpadded::input_gradient_applies<float>(padded));
  CHECK_FALSE(cpu::conv_unpadded::weight_gradient_applies<float>(padded, 128));
  CHECK_FALSE(cpu::conv_unpadded::forward_applies<float>(padded));
  Conv2dShape strided = s;
  strided.stride = 2, strided.h = strided.w = 19;  // 8x8 outputs
  CHECK_FALSE(cpu::conv_unpadded::input_gradient_applies<float>(strided));
  CHECK_FALSE(cpu::conv_unpadded::weight_gradient_applies<float>(strided, 128));
  CHECK_FALSE(cpu::conv_unpadded::forward_applies<float>(strided));
  s.f = 512;
  CHECK_FALSE(cpu::conv_unpadded::input_gradient_applies<float>(s));  // the GEMM splits sums over 256 filters
}
