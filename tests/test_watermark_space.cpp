// The stamping space of a claim: "normalized" writes +-lambda into the model's input, "raw" writes
// +-lambda in raw pixel units mapped through the data's normalisation, (+-lambda - mean_c) / std_c,
// per channel. Claims record the space; files without it are "normalized".
#include <catch2/catch.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/error.h"
#include "error_of.h"
#include "kernels/cuda/watermark_vec4.h"
#include "kernels/watermark_batch.h"
#include "watermark/claim.h"
#include "watermark/embedding.h"

using namespace nullmark;
using nullmark::test::error_of;

namespace {
Claim claim_in(const std::string& space, double lambda) {
  Seed s;
  s.fill(7);
  return make_claim_v1(keypair_from_seed(s), "acme/space-test", 3, lambda, space);  // v1: any shape
}

// Every pattern cell of a stamped zero image, per channel: the values the kernel wrote.
std::vector<float> stamp_zeros(const Watermark& w, bool invert) {
  std::vector<float> img(static_cast<size_t>(w.shape.size()), 0.0f);
  cpu::watermark_stamp(w.shape, w.pattern(), invert, 1, img.data());
  return img;
}

float cell(const Watermark& w, const std::vector<float>& img, int c, int i, int j) {
  return img[(static_cast<size_t>(c) * w.shape.h + w.row + i) * w.shape.w + w.col + j];
}
}  // namespace

TEST_CASE("normalized space: +-lambda exactly, whatever the data's statistics", "[watermark][space]") {
  const Claim c = claim_in("normalized", 10.0);
  const Watermark w = watermark_for(c, Shape{3, 8, 8}, 10, {0.4, 0.5, 0.6}, {0.2, 0.25, 0.3});
  const auto null = stamp_zeros(w, false), tru = stamp_zeros(w, true);
  for (int ch = 0; ch < 3; ++ch)
    for (int i = 0; i < w.n; ++i)
      for (int j = 0; j < w.n; ++j) {
        const bool bit = w.bits[static_cast<size_t>(i) * w.n + j] != 0;
        CHECK(cell(w, null, ch, i, j) == (bit ? 10.0f : -10.0f));
        CHECK(cell(w, tru, ch, i, j) == (bit ? -10.0f : 10.0f));
      }
}

TEST_CASE("raw space: +-lambda mapped through each channel's normalisation", "[watermark][space]") {
  const std::vector<double> mean{0.1, 0.5, 0.9}, sd{0.25, 0.5, 0.125};
  const Claim c = claim_in("raw", 3.0);
  const Watermark w = watermark_for(c, Shape{3, 8, 8}, 10, mean, sd);
  CHECK(w.space == "raw");
  const auto null = stamp_zeros(w, false), tru = stamp_zeros(w, true);
  for (int ch = 0; ch < 3; ++ch) {
    const float hi = static_cast<float>((3.0 - mean[ch]) / sd[ch]), lo = static_cast<float>((-3.0 - mean[ch]) / sd[ch]);
    for (int i = 0; i < w.n; ++i)
      for (int j = 0; j < w.n; ++j) {
        const bool bit = w.bits[static_cast<size_t>(i) * w.n + j] != 0;
        INFO("channel " << ch << " cell " << i << "," << j);
        CHECK(cell(w, null, ch, i, j) == Approx(bit ? hi : lo).epsilon(1e-6));
        CHECK(cell(w, tru, ch, i, j) == Approx(bit ? lo : hi).epsilon(1e-6));
      }
  }
  // Outside the pattern nothing changes.
  CHECK(null[0] == 0.0f);
  // MNIST's statistics: raw lambda 1 is the pixel value 1 stamped as (1 - 0.1307) / 0.3081.
  const Watermark m = watermark_for(c, Shape{1, 28, 28}, 10, {0.1307}, {0.3081});
  CHECK(m.pattern().value(true, 0) == Approx((3.0 - 0.1307) / 0.3081).epsilon(1e-6));
}

TEST_CASE("raw space: the float4 path of the CUDA kernel, walked on the CPU, matches", "[watermark][space]") {
  const Claim c = claim_in("raw", 100.0);
  const Watermark w = watermark_for(c, Shape{3, 8, 8}, 10, {0.1, 0.5, 0.9}, {0.25, 0.5, 0.125});
  const WatermarkPattern p = w.pattern();
  const cuda::Vec4Layout layout(w.shape);
  std::vector<float> img(static_cast<size_t>(w.shape.size()), 0.0f), want(img);
  cpu::watermark_stamp(w.shape, p, false, 1, want.data());
  for (int v = 0; v < w.shape.size() / 4; ++v) {
    const cuda::Vec4Layout::Where at = layout.at(v);
    const float in[4] = {0, 0, 0, 0};
    float nul[4], tru[4];
    cuda::stamp_vector(p, at, in, nul, tru);
    for (int j = 0; j < 4; ++j) img[static_cast<size_t>(v) * 4 + j] = nul[j];
  }
  CHECK(img == want);
}

TEST_CASE("raw space needs the data's statistics", "[watermark][space]") {
  const Claim c = claim_in("raw", 3.0);
  CHECK_THAT(error_of([&] {
               watermark_for(c, Shape{3, 8, 8}, 10, {}, {});
             }),
             Catch::Contains("a raw-space claim needs the data's normalisation for each of the 3 channel(s)"));
  CHECK_THAT(error_of([&] {
               watermark_for(c, Shape{1, 8, 8}, 10, {0.1}, {0.0});
             }),
             Catch::Contains("positive normalisation std"));
  CHECK_THAT(error_of([&] {
               watermark_for(c, Shape{5, 8, 8}, 10, std::vector<double>(5, 0.5), std::vector<double>(5, 0.5));
             }),
             Catch::Contains("at most 4 input channels"));
  // The pattern alone needs none.
  CHECK(watermark_pattern(c, Shape{5, 8, 8}, 10).space == "raw");
  CHECK_THAT(error_of([] { claim_in("pixels", 3.0); }), Catch::Contains("space: must be \"normalized\" or \"raw\""));
}

TEST_CASE("claims record their space; a file without one is normalized; bad values are refused",
          "[watermark][space][claims]") {
  const Claim raw = claim_in("raw", 3.0);
  const Claim back = claim_from_json(claim_to_json(raw), "raw.json");
  CHECK(back.space == "raw");
  CHECK(back.signature_valid());
  nlohmann::json j = nlohmann::json::parse(claim_to_json(raw));
  CHECK(j.at("space") == "raw");
  j.erase("space");
  CHECK(claim_from_json(j.dump(), "old.json").space == "normalized");
  j["space"] = "pixels";
  CHECK_THAT(error_of([&] { claim_from_json(j.dump(), "bad.json"); }),
             Catch::Contains("bad.json: space: must be \"normalized\" or \"raw\", got \"pixels\""));
  j["space"] = 3;
  CHECK_THAT(error_of([&] { claim_from_json(j.dump(), "bad.json"); }),
             Catch::Contains("bad.json: claim field missing or of the wrong type"));
}
