// The building blocks of the compression attacks: quantisation round trips, exact pruning counts,
// and the trainer settings fine-tuning attacks use (parameters held at zero, frozen layers).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <random>

#include "experiments/drivers/attack_training.h"
#include "experiments/drivers/experiment.h"
#include "train/trainer.h"
#include "kernels/quantize.h"
#include "small_training.h"
#include "synthetic_data.h"

using namespace nullmark;

TEST_CASE("int8 per-channel quantisation round-trips every weight within half its scale", "[quantize]") {
  const int rows = 5;
  const size_t cols = 37;
  std::vector<float> w(rows * cols);
  std::mt19937_64 rng(3);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = (static_cast<float>(rng() % 20001) - 10000.0f) / (1000.0f * (1 + i / cols));
  for (size_t i = 0; i < cols; ++i) w[3 * cols + i] = 0.0f;  // an all-zero channel
  std::vector<int8_t> q(w.size());
  std::vector<float> scales(rows), back(w.size());
  cpu::quantize_int8_rows(rows, cols, w.data(), q.data(), scales.data());
  cpu::dequantize_int8_rows(rows, cols, q.data(), scales.data(), back.data());
  for (int r = 0; r < rows; ++r) {
    float amax = 0;
    for (size_t i = 0; i < cols; ++i) amax = std::max(amax, std::fabs(w[r * cols + i]));
    CHECK(scales[r] == Approx(amax / 127.0f));
    for (size_t i = 0; i < cols; ++i) {
      CHECK(std::fabs(back[r * cols + i] - w[r * cols + i]) <= scales[r] / 2 * 1.0001f);
      CHECK(std::abs(int(q[r * cols + i])) <= 127);
    }
  }
  CHECK(scales[3] == 0.0f);
  CHECK(back[3 * cols] == 0.0f);
}

TEST_CASE("fp16 round trip is exact for representable values and close otherwise", "[quantize]") {
  const std::vector<float> w = {0.0f, 1.0f, -2.5f, 65504.0f, 0.1f, 3.14159265f, -1e-3f};
  std::vector<uint16_t> h(w.size());
  std::vector<float> back(w.size());
  cpu::to_fp16(w.size(), w.data(), h.data());
  cpu::from_fp16(w.size(), h.data(), back.data());
  CHECK(h[1] == 0x3c00);  // 1.0 in IEEE half
  for (size_t i = 0; i < 4; ++i) CHECK(back[i] == w[i]);
  for (size_t i = 4; i < w.size(); ++i) CHECK(std::fabs(back[i] - w[i]) <= std::fabs(w[i]) * 0x1p-11f);
}

TEST_CASE("magnitude pruning removes exactly the requested share of weights, biases kept", "[pruning]") {
  ConfigMap root = ConfigMap::load_string(
      "model: {layers: [{type: conv2d, filters: 3, kernel: 3}, {type: flatten}, {type: dense, units: 4}]}", "p.yaml");
  for (bool per_layer : {true, false})
    for (double rate : {0.0, 0.25, 0.5, 0.9, 1.0}) {
      INFO((per_layer ? "per layer " : "global ") << rate);
      Network net = Network::from_config(root.section("model"), Shape{1, 6, 6}, 4);
      net.init_params(5);
      const std::vector<float> before(net.params(), net.params() + net.param_count());
      prune_weights(net, rate, per_layer);
      size_t zeros = 0, weights = 0;
      for (size_t l = 0; l < net.layer_count(); ++l) {
        const auto w = net.layer(l).weights();
        const float* p = net.params() + net.param_offset(l);
        size_t z = 0;
        for (size_t i = 0; i < w.count; ++i) z += p[i] == 0.0f;
        if (per_layer) CHECK(z == static_cast<size_t>(std::llround(rate * w.count)));
        zeros += z, weights += w.count;
        for (size_t i = w.count; i < net.layer(l).param_count(); ++i)  // biases untouched
          CHECK(p[i] == before[net.param_offset(l) + i]);
      }
      if (!per_layer) CHECK(zeros == static_cast<size_t>(std::llround(rate * weights)));
    }
}

TEST_CASE("fine-tuning holds the chosen parameters at zero and leaves frozen layers alone", "[pruning][training]") {
  test::SmallTraining s("model: {layers: [{type: conv2d, filters: 4, kernel: 3}, {type: flatten}, {type: dense, units: 5}]}",
                        Shape{1, 12, 12}, 5, 1, 16, 2, 3);
  Network& net = s.net;
  Trainer& t = s.trainer;
  const std::vector<float> before = net.host_params();
  // The first conv channel's 9 weights and its bias, as fine-pruning removes a channel.
  std::vector<size_t> zeroed = {0, 1, 2, 3, 4, 5, 6, 7, 8, 36};
  t.set_zeroed(zeroed);
  const size_t dense = net.param_offset(2);
  long step = 0;
  t.run_epoch(test::synthetic_bands(64), 0, step, nullptr);
  std::vector<float> after = net.host_params();
  for (size_t i : zeroed) CHECK(after[i] == 0.0f);
  size_t changed = 0;
  for (size_t i = 10; i < dense; ++i) changed += after[i] != before[i] && i != 36;
  CHECK(changed > 20);  // the other channels trained

  t.set_trainable_from(dense);  // fine-tune the last layer only: the conv layer stays as it is
  const std::vector<float> conv_before(after.begin(), after.begin() + static_cast<long>(dense));
  t.run_epoch(test::synthetic_bands(64), 1, step, nullptr);
  after = net.host_params();
  CHECK(std::equal(conv_before.begin(), conv_before.end(), after.begin()));
  size_t head_changed = 0;
  for (size_t i = dense; i < after.size(); ++i) head_changed += after[i] != before[i];
  CHECK(head_changed > 100);
}

TEST_CASE("re-estimating batch-norm statistics (BNRE) changes the running statistics and no parameter",
          "[training]") {
  // BNRE in the finetune driver trains from past the last parameter: the optimizer updates nothing,
  // while batch norm in train mode still folds the attacker's batches into its running statistics.
  test::SmallTraining s(
      "model: {layers: [{type: conv2d, filters: 4, kernel: 3}, {type: batchnorm}, {type: flatten},"
      " {type: dense, units: 5}]}",
      Shape{1, 12, 12}, 5, 1, 16, 2, 3);
  Network& net = s.net;
  Trainer& t = s.trainer;
  REQUIRE(net.buffer_count() == 8);  // running mean and variance of 4 channels
  const std::vector<float> params = net.host_params(), stats = net.host_buffers();
  t.set_trainable_from(net.param_count());
  long step = 0;
  t.run_epoch(test::synthetic_bands(64), 0, step, nullptr);
  CHECK(net.host_params() == params);
  const std::vector<float> after = net.host_buffers();
  for (size_t c = 0; c < 4; ++c) {
    INFO("channel " << c);
    CHECK(after[c] != stats[c]);          // running mean moved towards the batches' means
    CHECK(after[4 + c] != stats[4 + c]);  // and the variance towards theirs
  }
}

TEST_CASE("attack training measures at the start, then per epoch as asked, or only at the end with 0",
          "[training]") {
  ConfigMap root = ConfigMap::load_string("model: {layers: [{type: flatten}, {type: dense, units: 5}]}", "m.yaml");
  Network net = Network::from_config(root.section("model"), Shape{1, 12, 12}, 5);
  net.init_params(2);
  const Dataset data = test::synthetic_bands(64);  // 4 batches of 16
  const ExperimentContext ctx;  // a CPU run
  for (const auto& [per_epoch, expected] : std::vector<std::pair<int, std::vector<double>>>{
           {2, {0, 0.5, 1, 1.5, 2, 2.5, 3}}, {0, {0, 3}}}) {
    INFO("measurements_per_epoch " << per_epoch);
    AttackTraining a;
    a.epochs = 3;
    a.batch_size = 16;
    a.measurements_per_epoch = per_epoch;
    AttackTrainer at(net, a, ctx);
    std::vector<double> epochs;
    train_with_measurements(at.trainer, data, a, 1, [&](long, double e) { epochs.push_back(e); });
    CHECK(epochs == expected);
  }
}
