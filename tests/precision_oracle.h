// The CPU oracle for products in a reduced precision (kernels/precision.h): the operands rounded as
// the tensor-core kernels round them, then multiplied and summed in float64 by the CPU kernels. A
// GPU result may differ from it only by float32 accumulation, which the oracle bounds from the sum of
// the products' magnitudes (the same products with |operands|).
//
// For comparisons bit for bit there are operands whose rounding is known and whose sums are exact:
// `rounding_values` draws numbers with more mantissa bits than the precision keeps (so the rounding
// acts) on a grid fine enough that, once rounded and multiplied by small integers (gradcheck.h's
// small_ints), every product and every partial sum of a short enough product is exact in float32.
// Then the GPU must equal the oracle exactly, in any order of addition, and a kernel that rounded
// differently (truncated, or not at all) fails.
#pragma once
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/conv2d.h"
#include "kernels/dense.h"
#include "gradcheck.h"  // small_ints
#include "kernels/precision.h"

namespace nullmark::test {

inline std::vector<float> rounded(Precision p, std::vector<float> v) {
  for (float& x : v) x = round_operand(p, x);
  return v;
}
inline std::vector<double> widened(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }
inline std::vector<double> magnitudes(const std::vector<float>& v) {
  std::vector<double> a(v.size());
  for (size_t i = 0; i < v.size(); ++i) a[i] = std::fabs(static_cast<double>(v[i]));
  return a;
}

// Numbers i + j * 2^-bits with |i| <= 2: bf16 (bits 9) keeps 8 significant bits, so the odd
// multiples of 2^-9 from 0.5 up round; tf32 (bits 10) keeps 11, so those of 2^-10 from 2 up round.
// Rounded, they stay multiples of 2^-bits, and their products with small integers (-3 .. 3) are
// multiples of 2^-bits below 9 in magnitude.
inline int rounding_bits(Precision p) { return p == Precision::Tf32 ? 10 : 9; }
inline std::vector<float> rounding_values(Precision p, size_t n, uint64_t seed) {
  const int bits = rounding_bits(p);
  std::mt19937_64 rng(seed);
  std::vector<float> v(n);
  for (float& x : v)
    x = static_cast<float>(static_cast<int>(rng() % 5) - 2) +
        std::ldexp(static_cast<float>(static_cast<int>(rng() % (1u << bits))), -bits);
  return v;
}
// The longest sum of such products that is exact: every partial sum is a multiple of 2^-bits below
// 9 * terms, so it fits 22 significant bits while 9 * terms * 2^bits <= 2^22. Two bits below float32's
// 24 leave room for tensor cores, which align the products of a step to the largest before adding.
inline long exact_sum_terms(Precision p) { return (1L << (22 - rounding_bits(p))) / 9; }

// A convolution's operands for a bit-for-bit comparison in precision p: one of them (0: x, 1: w,
// 2: dy) drawn to round, the others small integers, so every sum is exact (exact_sum_terms).
struct ExactConvOperands {
  std::vector<float> x, w, b, dy;
  ExactConvOperands(Precision p, const Conv2dShape& s, int rounding)
      : x(draw(p, rounding == 0, static_cast<size_t>(s.n) * s.c * s.h * s.w, 1)),
        w(draw(p, rounding == 1, static_cast<size_t>(s.f) * s.col_rows(), 2)),
        b(small_ints(s.f, 3)),
        dy(draw(p, rounding == 2, static_cast<size_t>(s.n) * s.f * s.oh() * s.ow(), 4)) {}
  static std::vector<float> draw(Precision p, bool rounds, size_t n, uint64_t seed) {
    return rounds ? rounding_values(p, n, seed) : small_ints(n, seed);
  }
};

// A convolution in precision p: its results and the magnitudes its sums bound the error by, for the
// given operands (y is the reference's forward output, which the backward pass masks with).
struct ConvOracle {
  std::vector<double> y, dx, dw, db;          // from the rounded operands
  std::vector<double> y_mag, dx_mag, dw_mag;  // the same sums over |operands|
  ConvOracle(Precision p, const Conv2dShape& s, const std::vector<float>& x, const std::vector<float>& w,
             const std::vector<float>& b, const std::vector<float>& dy) {
    const auto xr = rounded(p, x), wr = rounded(p, w), dyr = rounded(p, dy);
    run(s, widened(xr), widened(wr), widened(b), widened(dyr), y, dx, dw, db);
    std::vector<double> db_mag;
    // The magnitudes' ReLU mask is the real one: take the real y for it.
    Conv2dShape linear = s;
    linear.relu = false;
    std::vector<double> work(cpu::conv2d_workspace(linear));
    y_mag.resize(y.size());
    cpu::conv2d_forward(linear, magnitudes(xr).data(), magnitudes(wr).data(), magnitudes(b).data(), y_mag.data(),
                        work.data());
    std::vector<double> dy_mag = magnitudes(dyr);
    if (s.relu)
      for (size_t i = 0; i < dy_mag.size(); ++i)
        if (y[i] <= 0) dy_mag[i] = 0;
    dx_mag.resize(dx.size()), dw_mag.resize(dw.size()), db_mag.resize(db.size());
    cpu::conv2d_backward(linear, magnitudes(xr).data(), magnitudes(wr).data(), y_mag.data(), dy_mag.data(),
                         dx_mag.data(), dw_mag.data(), db_mag.data(), GradMode::Overwrite, work.data());
  }
  static void run(const Conv2dShape& s, const std::vector<double>& x, const std::vector<double>& w,
                  const std::vector<double>& b, const std::vector<double>& dy, std::vector<double>& y,
                  std::vector<double>& dx, std::vector<double>& dw, std::vector<double>& db) {
    std::vector<double> work(cpu::conv2d_workspace(s));
    y.resize(dy.size()), dx.resize(x.size()), dw.resize(w.size()), db.resize(s.f);
    cpu::conv2d_forward(s, x.data(), w.data(), b.data(), y.data(), work.data());
    cpu::conv2d_backward(s, x.data(), w.data(), y.data(), dy.data(), dx.data(), dw.data(), db.data(),
                         GradMode::Overwrite, work.data());
  }
};

// A dense layer in precision p, as ConvOracle; the bias gradient sums dy as it is (the dense layer
// reduces it apart from the products, kernels/dense_cuda.cu).
struct DenseOracle {
  std::vector<double> y, dx, dw, db, y_mag, dx_mag, dw_mag;
  DenseOracle(Precision p, const DenseShape& d, const std::vector<float>& x, const std::vector<float>& w,
              const std::vector<float>& b, const std::vector<float>& dy) {
    const auto xr = rounded(p, x), wr = rounded(p, w), dyr = rounded(p, dy);
    y.resize(dy.size()), dx.resize(x.size()), dw.resize(w.size()), db.resize(d.out);
    cpu::dense_forward(d, widened(xr).data(), widened(wr).data(), widened(b).data(), y.data());
    cpu::dense_backward(d, widened(xr).data(), widened(wr).data(), widened(dyr).data(), dx.data(), dw.data(),
                        static_cast<double*>(nullptr), GradMode::Overwrite);
    for (int i = 0; i < d.n; ++i)
      for (int o = 0; o < d.out; ++o) db[o] += dy[static_cast<size_t>(i) * d.out + o];
    y_mag.resize(y.size()), dx_mag.resize(dx.size()), dw_mag.resize(dw.size());
    cpu::dense_forward(d, magnitudes(xr).data(), magnitudes(wr).data(), magnitudes(b).data(), y_mag.data());
    cpu::dense_backward(d, magnitudes(xr).data(), magnitudes(wr).data(), magnitudes(dyr).data(), dx_mag.data(),
                        dw_mag.data(), static_cast<double*>(nullptr), GradMode::Overwrite);
  }
};

}  // namespace nullmark::test
