// evaluate_watermark on a network whose every prediction is worked out by hand.
#include <catch2/catch.hpp>
#include <vector>

#include "common/strict_yaml.h"
#include "nn/network.h"
#include "watermark/embedding.h"

using namespace nullmark;

TEST_CASE("watermark evaluation: clean, null, true and the label on unstamped samples", "[watermark]") {
  // 1x2x2 inputs, 2 classes. The dense layer's logits are (0, pixel 3), so the prediction is 1
  // exactly where pixel (1, 1) is positive (a tie at 0 goes to class 0, the first maximum).
  ConfigMap root =
      ConfigMap::load_string("model:\n  layers:\n    - {type: flatten}\n    - {type: dense, units: 2}\n", "m.yaml");
  Network net = Network::from_config(root.section("model"), Shape{1, 2, 2}, 2);
  REQUIRE(net.param_count() == 10);  // W [2, 4], then b [2]
  net.set_params({0, 0, 0, 0, /* class 1: */ 0, 0, 0, 1, /* b: */ 0, 0});

  // A 1x1 pattern on pixel (1, 1) with bit 0: null stamps -lambda (class 0), true stamps +lambda
  // (class 1 = y_W).
  Watermark wm;
  wm.shape = ImageShape{1, 2, 2};
  wm.label = 1, wm.row = 1, wm.col = 1, wm.n = 1, wm.lambda = 10.0f;
  wm.bits = {0};

  // Pixel 3 of each sample: +1, -1, +1, -1, +1; labels 0, 0, 1, 0, 0. Clean predictions 1, 0, 1, 0, 1.
  Dataset data;
  data.shape = Shape{1, 2, 2};
  data.classes = 2;
  data.labels = {0, 0, 1, 0, 0};
  for (float v : {1.0f, -1.0f, 1.0f, -1.0f, 1.0f}) data.images.insert(data.images.end(), {0.5f, 0.5f, 0.5f, v});

  const WatermarkAccuracy a = evaluate_watermark(net, data, wm, 0, 2);  // batches of 2: a tail of 1
  CHECK(a.samples == 5);
  CHECK(a.clean == Approx(3.0 / 5));           // samples 1, 2 and 3 right
  CHECK(a.null == Approx(4.0 / 5));            // every prediction 0: right where the label is 0
  CHECK(a.true_samples == 4);                  // the samples not labelled y_W
  CHECK(a.true_ == Approx(1.0));               // every prediction 1
  CHECK(a.clean_as_label == Approx(2.0 / 4));  // samples 0 and 4, of those not labelled y_W
  CHECK(a.true_ignored == Approx(0.0));        // the true stamp decides every prediction
  // Logits (0, v) move to (0, -10) under the null stamp: |v + 10| = 11, 9, 11, 9, 11; to (0, +10)
  // under the true stamp: |10 - v| = 9, 11, -, 11, 9 over the samples not labelled y_W.
  CHECK(a.null_shift == Approx(51.0 / 5));
  CHECK(a.true_shift == Approx(40.0 / 4));

  // A pattern on pixel (0, 0), which the network does not read: every stamped prediction is the clean
  // one, so the true stamp is ignored wherever the clean prediction was right.
  Watermark unread = wm;
  unread.row = 0, unread.col = 0;
  const WatermarkAccuracy u = evaluate_watermark(net, data, unread);
  CHECK(u.null == Approx(3.0 / 5));
  CHECK(u.true_ == Approx(2.0 / 4));         // samples 0 and 4 (predicted 1), of the four labelled 0
  CHECK(u.true_ignored == Approx(2.0 / 4));  // samples 1 and 3 (predicted 0)
  CHECK(u.null_shift == 0.0);                // the logits do not move at all
  CHECK(u.true_shift == 0.0);

  // A limit evaluates the first samples only.
  const WatermarkAccuracy first = evaluate_watermark(net, data, wm, 2);
  CHECK(first.samples == 2);
  CHECK(first.clean == Approx(0.5));
  CHECK(first.clean_as_label == Approx(0.5));
}
