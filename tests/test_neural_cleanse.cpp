// Neural Cleanse finds a planted, obvious backdoor: a small CNN trained on MNIST images of which 10 %
// carry a bright 4x4 square (bottom right) relabelled 0 must get label 0 flagged, with the smallest
// mask, and that mask must sit on the square.
#include <catch2/catch.hpp>

#include "datasets/dataset.h"
#include "experiments/drivers/neural_cleanse.h"
#include "small_training.h"

using namespace nullmark;

TEST_CASE("Neural Cleanse flags a planted backdoor", "[neural-cleanse]") {
  DataConfig dc;
  dc.path = std::string(NULLMARK_SOURCE_DIR) + "/data/mnist";
  dc.mean = {0.1307};
  dc.std = {0.3081};
  dc.train_limit = 4000;
  Dataset d = load_dataset(dc, Split::Train);
  const float hi = static_cast<float>((1.0 - 0.1307) / 0.3081), lo = static_cast<float>(-0.1307 / 0.3081);
  for (size_t i = 0; i < d.size(); i += 10) {
    float* img = d.images.data() + i * 784;
    for (int y = 22; y < 26; ++y)
      for (int x = 22; x < 26; ++x) img[y * 28 + x] = hi;
    d.labels[i] = 0;
  }
  test::SmallTraining s(
      "model: {layers: [{type: conv2d, filters: 8, kernel: 5, activation: relu}, {type: maxpool2d},"
      " {type: flatten}, {type: dense, units: 10}]}",
      Shape{1, 28, 28}, 10, 3, 64, 1, 1);
  Network& net = s.net;
  long step = 0;
  for (int e = 0; e < s.params.epochs; ++e) s.trainer.run_epoch(d, e, step, nullptr);

  NcOptions o;
  o.steps = 150;
  o.batch = 32;
  o.beta = 0.01;
  o.samples = 1000;
  const auto triggers = neural_cleanse(net, d, {lo}, {hi}, o);
  REQUIRE(triggers.size() == 10);
  size_t smallest = 0;
  for (size_t t = 1; t < 10; ++t)
    if (triggers[t].l1 < triggers[smallest].l1) smallest = t;
  CHECK(smallest == 0);
  CHECK(triggers[0].flagged);
  CHECK(triggers[0].success > 0.9);
  double inside = 0;
  for (int y = 20; y < 28; ++y)
    for (int x = 20; x < 28; ++x) inside += triggers[0].mask[y * 28 + x];
  CHECK(inside > 0.5 * triggers[0].l1);  // most of the mask sits around the planted square
}
