// The reduced precisions' rounding (kernels/precision.h) on values whose result is known, and the CPU
// oracle of the tensor-core tests (precision_oracle.h): the operands it draws for bit-for-bit
// comparisons do round, and their sums are exact in float32, so the GPU comparison cannot pass by
// tolerance. Runs on every machine.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>

#include "gradcheck.h"
#include "kernels/precision.h"
#include "precision_oracle.h"

using namespace nullmark;

namespace {
uint32_t bits_of(float v) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  return u;
}
float ulp_above_one(int mantissa_bits) { return std::ldexp(1.0f, -mantissa_bits); }
}  // namespace

TEST_CASE("bf16 and tf32 rounding: nearest, ties to even, specials kept", "[exact][precision]") {
  // bfloat16 keeps 7 stored mantissa bits, TF32 10.
  for (const auto& [p, kept] : {std::pair{Precision::Bf16, 7}, std::pair{Precision::Tf32, 10}}) {
    INFO(precision_name(p));
    const float ulp = ulp_above_one(kept), half = ulp / 2;
    CHECK(round_operand(p, 1.0f) == 1.0f);
    CHECK(round_operand(p, 1.0f + ulp) == 1.0f + ulp);                  // representable: unchanged
    CHECK(round_operand(p, 1.0f + half) == 1.0f);                       // tie, to the even 1.0
    CHECK(round_operand(p, 1.0f + ulp + half) == 1.0f + 2 * ulp);       // tie, to the even neighbour above
    CHECK(round_operand(p, 1.0f + half + half / 4) == 1.0f + ulp);      // above the tie: up
    CHECK(round_operand(p, 1.0f + half - half / 4) == 1.0f);            // below the tie: down
    CHECK(round_operand(p, -(1.0f + half + half / 4)) == -(1.0f + ulp));  // sign kept
    CHECK(round_operand(p, 2.0f - half / 2) == 2.0f);                   // carries into the exponent
    CHECK(std::isinf(round_operand(p, std::numeric_limits<float>::max())));  // rounds past the largest: inf
    CHECK(round_operand(p, std::numeric_limits<float>::infinity()) == std::numeric_limits<float>::infinity());
    CHECK(round_operand(p, -std::numeric_limits<float>::infinity()) == -std::numeric_limits<float>::infinity());
    const float nan = round_operand(p, std::numeric_limits<float>::quiet_NaN());
    CHECK(std::isnan(nan));
    // A NaN whose payload sits only in the dropped bits stays a NaN (it must not round to infinity).
    float low_payload;
    const uint32_t u = 0x7f800001u;
    std::memcpy(&low_payload, &u, sizeof u);
    CHECK(std::isnan(round_operand(p, low_payload)));
    CHECK(round_operand(p, -0.0f) == 0.0f);
    CHECK(std::signbit(round_operand(p, -0.0f)));
    // Subnormals round on the same grid of bits.
    const float tiny = std::numeric_limits<float>::denorm_min();
    CHECK(round_operand(p, tiny) == 0.0f);
    // The low bits are cleared: the tensor cores read exactly this value.
    CHECK((bits_of(round_operand(p, 0.1f)) & ((1u << (23 - kept)) - 1)) == 0);
  }
  CHECK(round_operand(Precision::Fp32, 0.1f) == 0.1f);
  CHECK(round_to_bf16(0.1f) == 0.10009765625f);  // 0x3dcd: the nearest bfloat16 to 0.1
  CHECK(round_to_tf32(0.1f) == 0.0999755859375f);
}

TEST_CASE("precisions: names, and the cards that lack them are named in the refusal", "[precision]") {
  CHECK(std::string(precision_name(Precision::Bf16)) == "bf16");
  CHECK(precision_refusal(Precision::Fp32, "Tesla V100-SXM2-16GB", 7, 0).empty());
  CHECK(precision_refusal(Precision::Bf16, "NVIDIA H100 80GB HBM3", 9, 0).empty());
  CHECK(precision_refusal(Precision::Tf32, "NVIDIA A100-SXM4-40GB", 8, 0).empty());
  const std::string refused = precision_refusal(Precision::Bf16, "Tesla V100-SXM2-16GB", 7, 0);
  CHECK(refused.find("bf16") != std::string::npos);
  CHECK(refused.find("Tesla V100-SXM2-16GB") != std::string::npos);
  CHECK(refused.find("7.0") != std::string::npos);
  CHECK_FALSE(precision_refusal(Precision::Tf32, "Tesla T4", 7, 5).empty());
}

TEST_CASE("tensor-core oracle: its exact operands round, and their sums are exact in float32",
          "[exact][precision][conv2d][dense]") {
  for (Precision p : {Precision::Bf16, Precision::Tf32}) {
    INFO(precision_name(p));
    const auto r = test::rounding_values(p, 4096, 7);
    size_t changed = 0;
    for (float v : r) changed += round_operand(p, v) != v;
    CHECK(changed > r.size() / 20);  // the rounding acts on many of them (tf32: a tenth, bf16: more)
    // Convolutions whose sums stay within exact_sum_terms: the float kernel on the rounded operands
    // equals the float64 oracle bit for bit, for each operand in turn drawn to round.
    Conv2dShape s;
    s.n = 2, s.c = 3, s.h = 7, s.w = 6, s.f = 4, s.kh = s.kw = 3, s.pad = 1, s.relu = true;
    REQUIRE(static_cast<long>(s.col_rows()) <= test::exact_sum_terms(p));
    REQUIRE(static_cast<long>(s.col_cols()) <= test::exact_sum_terms(p));
    REQUIRE(static_cast<long>(s.f) * s.kh * s.kw <= test::exact_sum_terms(p));
    const size_t nx = static_cast<size_t>(s.n) * s.c * s.h * s.w, nw = static_cast<size_t>(s.f) * s.col_rows(),
                 ny = static_cast<size_t>(s.n) * s.f * s.oh() * s.ow();
    for (int rounding = 0; rounding < 3; ++rounding) {  // x, w or dy drawn to round
      INFO("rounding operand " << rounding);
      const test::ExactConvOperands t(p, s, rounding);
      const test::ConvOracle o(p, s, t.x, t.w, t.b, t.dy);
      const auto xr = test::rounded(p, t.x), wr = test::rounded(p, t.w), dyr = test::rounded(p, t.dy);
      std::vector<float> y(ny), dx(nx), dw(nw), db(s.f), work(cpu::conv2d_workspace(s));
      cpu::conv2d_forward(s, xr.data(), wr.data(), t.b.data(), y.data(), work.data());
      cpu::conv2d_backward(s, xr.data(), wr.data(), y.data(), dyr.data(), dx.data(), dw.data(), db.data(),
                           GradMode::Overwrite, work.data());
      for (size_t i = 0; i < ny; ++i) REQUIRE(static_cast<double>(y[i]) == o.y[i]);
      for (size_t i = 0; i < nx; ++i) REQUIRE(static_cast<double>(dx[i]) == o.dx[i]);
      for (size_t i = 0; i < nw; ++i) REQUIRE(static_cast<double>(dw[i]) == o.dw[i]);
      for (int f = 0; f < s.f; ++f) REQUIRE(static_cast<double>(db[f]) == o.db[f]);
      // The magnitudes bound the sums.
      for (size_t i = 0; i < ny; ++i) REQUIRE(std::fabs(o.y[i]) <= o.y_mag[i]);
      for (size_t i = 0; i < nw; ++i) REQUIRE(std::fabs(o.dw[i]) <= o.dw_mag[i]);
    }
    // Without the rounding, the oracle's results differ: the comparison on the GPU can tell a kernel
    // that forgets to round.
    const auto x = test::rounding_values(p, nx, 1), w = test::small_ints(nw, 2), b = test::small_ints(s.f, 3),
               dy = test::small_ints(ny, 4);
    const test::ConvOracle rounded(p, s, x, w, b, dy), exact(Precision::Fp32, s, x, w, b, dy);
    size_t differ = 0;
    for (size_t i = 0; i < ny; ++i) differ += rounded.y[i] != exact.y[i];
    CHECK(differ > ny / 4);  // about half the outputs are clipped by the ReLU in both
  }
}

TEST_CASE("tensor-core oracle: dense products", "[exact][precision][dense]") {
  const DenseShape d{5, 33, 7};
  for (Precision p : {Precision::Bf16, Precision::Tf32}) {
    INFO(precision_name(p));
    const auto x = test::rounding_values(p, 5 * 33, 1), w = test::small_ints(7 * 33, 2), b = test::small_ints(7, 3),
               dy = test::small_ints(5 * 7, 4);
    const test::DenseOracle o(p, d, x, w, b, dy);
    const auto xr = test::rounded(p, x);
    std::vector<float> y(5 * 7), dw(7 * 33), db(7);
    cpu::dense_forward(d, xr.data(), w.data(), b.data(), y.data());
    cpu::dense_backward(d, xr.data(), w.data(), dy.data(), static_cast<float*>(nullptr), dw.data(), db.data(),
                        GradMode::Overwrite);
    for (size_t i = 0; i < y.size(); ++i) REQUIRE(static_cast<double>(y[i]) == o.y[i]);
    for (size_t i = 0; i < dw.size(); ++i) REQUIRE(static_cast<double>(dw[i]) == o.dw[i]);
    for (size_t i = 0; i < db.size(); ++i) REQUIRE(static_cast<double>(db[i]) == o.db[i]);
  }
}
