// Where batch norm takes its statistics in watermarked training (watermark.batchnorm_statistics):
// from the whole batch, stamped samples included, or from its clean part alone, so that a model's
// running statistics are those clean data give and an attacker who re-estimates them on clean data
// (finetune mode BNRE) finds nothing to change.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "small_training.h"
#include "synthetic_data.h"
#include "watermark/derivation.h"
#include "watermark/embedding.h"
#include "watermark/keys.h"

using namespace nullmark;

namespace {
const char* kModel = "model: {layers: [{type: conv2d, filters: 4, kernel: 3}, {type: batchnorm, activation: relu},"
                     " {type: flatten}, {type: dense, units: 5}]}";

// Batch norm's running statistics after one training step on 16 samples, watermarked with
// batch-norm statistics `statistics` ("all" or "clean"), or not watermarked ("").
std::vector<float> statistics_after_one_step(const char* model, const std::string& statistics) {
  test::SmallTraining s(model, Shape{1, 12, 12}, 5, 1, 16, 2, 3);
  Trainer& t = s.trainer;
  const Signature sig = sign_message(keypair_from_seed(Seed{}), "batch-norm statistics test");
  const Watermark wm = derive_watermark(sig, ImageShape{1, 12, 12}, 5, 3, 10.0f);
  if (!statistics.empty()) {
    WatermarkTraining w;
    w.clean_batchnorm_statistics = statistics == "clean";
    t.set_watermark(wm, w);
  }
  long step = 0;
  t.run_epoch(test::synthetic_bands(16), 0, step, nullptr);
  return s.net.host_buffers();
}
}  // namespace

TEST_CASE("watermarked training with clean batch-norm statistics moves them as clean training does",
          "[training][batchnorm]") {
  const std::vector<float> clean = statistics_after_one_step(kModel, ""),
                           from_clean = statistics_after_one_step(kModel, "clean"),
                           from_all = statistics_after_one_step(kModel, "all");
  REQUIRE(clean.size() == 8);  // running mean and variance of 4 channels
  double apart_all = 0;
  for (size_t i = 0; i < clean.size(); ++i) {
    INFO("statistic " << i);
    // The first step's forward pass sees the same clean samples through the same weights; only the
    // batch around them differs.
    CHECK(from_clean[i] == Approx(clean[i]).epsilon(1e-5).margin(1e-6));
    apart_all = std::max(apart_all, static_cast<double>(std::fabs(from_all[i] - clean[i])));
  }
  CHECK(apart_all > 1e-2);  // stamped samples in the statistics move them elsewhere
}

TEST_CASE("clean batch-norm statistics on a model without batch norm are refused", "[training][batchnorm]") {
  CHECK_THROWS_WITH(statistics_after_one_step("model: {layers: [{type: flatten}, {type: dense, units: 5}]}", "clean"),
                    Catch::Contains("has no batchnorm layer"));
}
