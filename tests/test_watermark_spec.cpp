// Spec v1 golden vectors, bit for bit (keys, signature, derivation, SHA-256 of stamped zero
// tensors), and the stamping kernel on edge cases.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/sha256.h"
#include "kernels/watermark_batch.h"
#include "watermark/derivation.h"
#include "watermark/keys.h"
#include "watermark_golden.h"

using namespace nullmark;
using nullmark::test::Golden;
using nullmark::test::kGolden;

namespace {
std::string sha_of(const float* data, size_t count) { return to_hex(sha256(data, count * sizeof(float))); }
}  // namespace

TEST_CASE("spec v1 golden vectors, bit for bit", "[watermark][spec]") {
  for (const Golden& g : kGolden) {
    INFO(g.verifier);
    const KeyPair k = keypair_from_seed(parse_hex<32>(g.seed, "seed"));
    CHECK(hex(k.public_key) == g.pk);
    const Signature sig = sign_message(k, g.verifier);
    CHECK(hex(sig) == g.sig);
    CHECK(verify_message(k.public_key, g.verifier, sig));
    const Watermark w = derive_watermark(sig, g.shape, g.classes, g.n, g.lambda);
    CHECK(w.label == g.label);
    CHECK(w.row == g.row);
    CHECK(w.col == g.col);
    CHECK(bit_string(w) == g.bits);
    // The batch kernel on one all-zero image: [clean | null | true].
    const size_t per = static_cast<size_t>(g.shape.size());
    std::vector<float> zeros(per, 0.0f), out(3 * per, -1.0f);
    const int32_t label = 7;
    int32_t out_labels[3];
    cpu::watermark_batch(g.shape, w.pattern(), 1, 1, 1, zeros.data(), &label, out.data(), out_labels);
    CHECK(sha_of(out.data(), per) == sha_of(zeros.data(), per));
    CHECK(sha_of(out.data() + per, per) == g.sha_null);
    CHECK(sha_of(out.data() + 2 * per, per) == g.sha_true);
    CHECK(out_labels[0] == 7);
    CHECK(out_labels[1] == 7);
    CHECK(out_labels[2] == g.label);
    // The in-place stamping used by evaluation gives the same tensors.
    std::vector<float> img(per, 0.0f);
    cpu::watermark_stamp(g.shape, w.pattern(), false, 1, img.data());
    CHECK(sha_of(img.data(), per) == g.sha_null);
    cpu::watermark_stamp(g.shape, w.pattern(), true, 1, img.data());
    CHECK(sha_of(img.data(), per) == g.sha_true);
  }
}

TEST_CASE("stamping kernel: channels, borders, n = 1 and n = min(H, W), batches", "[watermark][kernel]") {
  const Signature sig = sign_message(keypair_from_seed(parse_hex<32>(kGolden[0].seed, "seed")), "edge cases");
  struct Case {
    ImageShape s;
    int n;
  };
  const Case cases[] = {{{1, 7, 7}, 1}, {{3, 7, 7}, 7}, {{3, 5, 9}, 5}, {{1, 28, 28}, 28}, {{3, 9, 5}, 2}};
  for (const Case& c : cases) {
    INFO("C" << c.s.c << " " << c.s.h << "x" << c.s.w << " n " << c.n);
    const Watermark w = derive_watermark(sig, c.s, 10, c.n, 3.0f);
    CHECK(w.row + w.n <= c.s.h);
    CHECK(w.col + w.n <= c.s.w);
    const int b = 3, per = c.s.size();
    std::vector<float> clean(static_cast<size_t>(b) * per);
    for (size_t i = 0; i < clean.size(); ++i) clean[i] = static_cast<float>(i % 13) * 0.1f;
    const int32_t labels[] = {1, 2, 3};
    std::vector<float> out(static_cast<size_t>(b + 2 + 1) * per);
    std::vector<int32_t> out_labels(b + 3);
    cpu::watermark_batch(c.s, w.pattern(), b, 2, 1, clean.data(), labels, out.data(), out_labels.data());
    CHECK(out_labels == std::vector<int32_t>{1, 2, 3, 1, 2, w.label});
    size_t wrong = 0;
    for (int k = 0; k < 3; ++k) {  // null copies of images 0 and 1, a true copy of image 0
      const int src = k < 2 ? k : 0;
      const bool invert = k == 2;
      const float* o = out.data() + static_cast<size_t>(b + k) * per;
      for (int ch = 0; ch < c.s.c; ++ch)
        for (int y = 0; y < c.s.h; ++y)
          for (int x = 0; x < c.s.w; ++x) {
            const size_t idx = (static_cast<size_t>(ch) * c.s.h + y) * c.s.w + x;
            const bool inside = y >= w.row && y < w.row + w.n && x >= w.col && x < w.col + w.n;
            float want = clean[static_cast<size_t>(src) * per + idx];
            if (inside) want = (w.bits[(y - w.row) * w.n + (x - w.col)] != 0) != invert ? 3.0f : -3.0f;
            wrong += o[idx] != want;
          }
    }
    CHECK(wrong == 0);
    CHECK(std::equal(clean.begin(), clean.end(), out.begin()));  // clean copies untouched
  }
}

TEST_CASE("derivation rejects patterns larger than the image", "[watermark]") {
  const Signature sig{};
  CHECK_THROWS_WITH(derive_watermark(sig, ImageShape{1, 28, 28}, 10, 29, 1.0f),
                    Catch::Contains("n = 29 does not fit a 28x28 input"));
  CHECK_THROWS_WITH(derive_watermark(sig, ImageShape{3, 32, 8}, 10, 9, 1.0f), Catch::Contains("1 <= n <= 8"));
  CHECK_THROWS_AS(derive_watermark(sig, ImageShape{1, 28, 28}, 10, 0, 1.0f), Error);
  CHECK_NOTHROW(derive_watermark(sig, ImageShape{3, 32, 8}, 10, 8, 1.0f));
}
