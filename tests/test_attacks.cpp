// The building blocks of the compression attacks: quantisation round trips and exact pruning counts.
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "experiments/drivers/experiment.h"
#include "kernels/quantize.h"

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
