// The float4 path of the CUDA watermark batch kernel (kernels/cuda/watermark_vec4.h), walked on the
// CPU vector by vector as the kernel's threads walk it, against cpu::watermark_batch byte for byte:
// patterns whose columns start inside a vector, reach the image's edge, or cover it whole.
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "gradcheck.h"
#include "kernels/cuda/watermark_vec4.h"
#include "kernels/watermark_batch.h"

using namespace nullmark;
using cuda::Vec4Layout;

namespace {
// What batch_kernel4 writes, for every vector of a batch of b images.
void emulate_vec4(const ImageShape& s, const WatermarkPattern& p, int b, int n_null, int n_true, const float* clean,
                  const int32_t* labels, float* out, int32_t* out_labels) {
  const Vec4Layout layout(s);
  const size_t per = static_cast<size_t>(s.size());
  float* null_out = out + per * b;
  float* true_out = null_out + per * n_null;
  for (int v = 0; v < static_cast<int>(per * b / 4); ++v) {
    const Vec4Layout::Where at = layout.at(v);
    const float in[4] = {clean[4 * v], clean[4 * v + 1], clean[4 * v + 2], clean[4 * v + 3]};
    float nul[4], tru[4];
    cuda::stamp_vector(p, at, in, nul, tru);
    for (int j = 0; j < 4; ++j) {
      out[4 * v + j] = in[j];
      if (at.img < n_null) null_out[4 * v + j] = nul[j];
      if (at.img < n_true) true_out[4 * v + j] = tru[j];
    }
    if (at.first) cuda::write_labels(p, at.img, b, n_null, n_true, labels, out_labels);
  }
}
}  // namespace

TEST_CASE("watermark batch, float4 path: the CUDA kernel's vectors, walked on the CPU, match the CPU kernel",
          "[watermark][cuda-emulated]") {
  struct Case {
    ImageShape s;
    int row, col, n;
    const char* why;
  };
  const Case cases[] = {{{1, 28, 28}, 3, 5, 6, "MNIST-sized, pattern starting inside a vector"},
                        {{3, 32, 32}, 26, 26, 6, "three channels, pattern at the bottom-right edge"},
                        {{2, 5, 8}, 0, 0, 5, "pattern over whole rows of a short image"},
                        {{1, 4, 4}, 1, 3, 1, "one cell, last column of a vector"},
                        {{3, 6, 12}, 2, 4, 4, "pattern exactly one vector wide"}};
  for (const Case& t : cases) {
    INFO(t.why);
    REQUIRE(Vec4Layout::applies(t.s));
    std::vector<uint8_t> bits(static_cast<size_t>(t.n) * t.n);
    for (size_t i = 0; i < bits.size(); ++i) bits[i] = static_cast<uint8_t>((i * 7 + 3) % 5 < 2);
    WatermarkPattern p;
    p.row = t.row, p.col = t.col, p.n = t.n, p.bits = bits.data(), p.lambda = 10.0f, p.label = 9;
    const int b = 5, n_null = 3, n_true = 2, total = b + n_null + n_true;
    const size_t per = static_cast<size_t>(t.s.size());
    const auto clean = test::random_floats(per * b, 3);
    const std::vector<int32_t> labels{1, 2, 3, 4, 5};
    std::vector<float> want(per * total), got(per * total, -1.0f);
    std::vector<int32_t> want_labels(total), got_labels(total, -1);
    cpu::watermark_batch(t.s, p, b, n_null, n_true, clean.data(), labels.data(), want.data(), want_labels.data());
    emulate_vec4(t.s, p, b, n_null, n_true, clean.data(), labels.data(), got.data(), got_labels.data());
    CHECK(got == want);
    CHECK(got_labels == want_labels);
  }
  CHECK_FALSE(Vec4Layout::applies(ImageShape{3, 7, 7}));
  CHECK_FALSE(Vec4Layout::applies(ImageShape{4, 6, 6}));  // size a multiple of four, rows not
}
