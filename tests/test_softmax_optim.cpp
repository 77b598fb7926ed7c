// Softmax cross-entropy against a hand-computed case; optimizer steps against hand-computed values.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>

#include "kernels/optimizers.h"
#include "kernels/softmax_xent.h"
#include "nn/lr_schedule.h"

using namespace nullmark;

TEST_CASE("softmax cross-entropy matches a hand-computed case", "[softmax]") {
  // logits (1, 2, 3), label 2: p = e^z / (e + e^2 + e^3) = (0.0900306, 0.2447285, 0.6652410),
  // loss = -ln 0.6652410 = 0.4076059; gradient = p - onehot.
  const float z[] = {1, 2, 3, 0, 0, 0};
  const int32_t y[] = {2, 1};
  float dz[6];
  int32_t pred[2];
  const XentResult r = cpu::softmax_xent(2, 3, z, y, nullptr, 0.5f, dz, pred);
  const double want = 0.4076059 + std::log(3.0);  // second sample: uniform, loss ln 3
  CHECK(r.loss_sum == Approx(want).epsilon(1e-6));
  CHECK(r.correct == 1);  // sample 0 predicts 2 (right); sample 1 ties, argmax picks class 0 (wrong)
  CHECK(pred[0] == 2);
  CHECK(pred[1] == 0);
  CHECK(dz[0] == Approx(0.5 * 0.0900306).epsilon(1e-5));
  CHECK(dz[1] == Approx(0.5 * 0.2447285).epsilon(1e-5));
  CHECK(dz[2] == Approx(0.5 * (0.6652410 - 1)).epsilon(1e-5));
  CHECK(dz[4] == Approx(0.5 * (1.0 / 3 - 1)).epsilon(1e-5));
  // Very large logits (the watermark's +-lambda inputs produce them) must not overflow.
  const float big[] = {3000, -3000, 0};
  const int32_t yb[] = {1};
  float db[3];
  const XentResult rb = cpu::softmax_xent(1, 3, big, yb, nullptr, 1.0f, db, nullptr);
  CHECK(rb.loss_sum == Approx(6000.0));
  CHECK(std::isfinite(db[0]));
  CHECK(db[0] == Approx(1.0f));
  CHECK(db[1] == Approx(-1.0f));
}

TEST_CASE("label smoothing: loss against the smoothed target by hand", "[softmax]") {
  // logits (1, 2, 3), label 2, eps 0.3: q = (0.1, 0.1, 0.8); loss = lse - q.z = 3.4076059 - 2.7.
  const float z[] = {1, 2, 3};
  const int32_t y[] = {2};
  float dz[3];
  const XentResult r = cpu::softmax_xent(1, 3, z, y, nullptr, 1.0f, dz, nullptr, 0.3f);
  CHECK(r.loss_sum == Approx(3.4076059 - 2.7).epsilon(1e-6));
  CHECK(dz[0] == Approx(0.0900306 - 0.1).epsilon(1e-5));
  CHECK(dz[2] == Approx(0.6652410 - 0.8).epsilon(1e-5));
}

TEST_CASE("learning-rate warm-up then cosine", "[optim]") {
  ConfigMap root = ConfigMap::load_string("schedule: {type: cosine, min_lr: 0, warmup_epochs: 1}", "s.yaml");
  const LrSchedule s = LrSchedule::read(root.section("schedule"));
  CHECK(s.at(1.0, 0, 10, 100) == Approx(0.1));  // step 1 of 10 warm-up steps
  CHECK(s.at(1.0, 9, 10, 100) == Approx(1.0));
  CHECK(s.at(1.0, 50, 10, 100) == Approx(0.5));  // cosine midpoint
}

TEST_CASE("learning-rate warm-up then linear decay: the one-cycle schedule", "[optim]") {
  ConfigMap root = ConfigMap::load_string("schedule: {type: linear, min_lr: 0.1, warmup_epochs: 2}", "s.yaml");
  const LrSchedule s = LrSchedule::read(root.section("schedule"));
  CHECK(s.at(1.0, 0, 10, 100) == Approx(0.05));  // step 1 of 20 warm-up steps
  CHECK(s.at(1.0, 19, 10, 100) == Approx(1.0));  // the peak
  CHECK(s.at(1.0, 20, 10, 100) == Approx(1.0));  // the decay starts there ...
  CHECK(s.at(1.0, 60, 10, 100) == Approx(0.55));  // ... halfway down at step 60 ...
  CHECK(s.at(1.0, 100, 10, 100) == Approx(0.1));  // ... and reaches min_lr after the last step
  ConfigMap bad = ConfigMap::load_string("schedule: {type: linear, gamma: 0.5}", "s.yaml");
  CHECK_THROWS_WITH(LrSchedule::read(bad.section("schedule")), Catch::Contains("gamma"));
}

TEST_CASE("SGD with momentum and weight decay matches hand-computed steps", "[optim]") {
  float p[] = {1.0f, -2.0f}, g[] = {0.5f, 0.25f}, v[] = {0.0f, 0.0f};
  SgdParams h;
  h.lr = 0.1f, h.momentum = 0.9f, h.weight_decay = 0.01f;
  cpu::sgd_step(2, h, p, g, v);
  // g' = g + wd*p = (0.51, 0.23); v = g'; p = p - 0.1 v = (0.949, -2.023)
  CHECK(v[0] == Approx(0.51f));
  CHECK(p[0] == Approx(0.949f));
  CHECK(p[1] == Approx(-2.023f));
  cpu::sgd_step(2, h, p, g, v);
  // g' = (0.5 + 0.00949, 0.25 - 0.02023) = (0.50949, 0.22977); v = 0.9*v + g' = (0.96849, 0.43677)
  CHECK(v[0] == Approx(0.96849f));
  CHECK(v[1] == Approx(0.43677f));
  CHECK(p[0] == Approx(0.949f - 0.096849f));
  // Nesterov: p -= lr * (g' + mu * v)
  float pn[] = {1.0f}, gn[] = {1.0f}, vn[] = {1.0f};
  SgdParams hn;
  hn.lr = 0.1f, hn.momentum = 0.5f, hn.nesterov = true;
  cpu::sgd_step(1, hn, pn, gn, vn);
  CHECK(vn[0] == Approx(1.5f));
  CHECK(pn[0] == Approx(1.0f - 0.1f * (1.0f + 0.75f)));
}

TEST_CASE("Adam matches hand-computed steps", "[optim]") {
  float p[] = {1.0f}, g[] = {0.5f}, m[] = {0.0f}, v[] = {0.0f};
  AdamParams h;
  h.lr = 0.01f;
  cpu::adam_step(1, h, 1, p, g, m, v);
  // Step 1: m = 0.05, v = 0.00025; m_hat = 0.5, v_hat = 0.25; p -= 0.01 * 0.5 / (0.5 + 1e-8)
  CHECK(m[0] == Approx(0.05f));  // (1 - beta2) is not exact in float: 4.7e-5 relative off
  CHECK(v[0] == Approx(0.00025f).epsilon(1e-4));
  CHECK(p[0] == Approx(0.99f).epsilon(1e-6));
  g[0] = -1.0f;
  cpu::adam_step(1, h, 2, p, g, m, v);
  // m = 0.9*0.05 - 0.1 = -0.055; v = 0.999*0.00025 + 0.001 = 0.00124975
  // m_hat = -0.055/0.19 = -0.2894737; v_hat = 0.00124975/0.001999 = 0.6251876; step = 0.01*m_hat/sqrt(v_hat)
  CHECK(m[0] == Approx(-0.055f));
  CHECK(v[0] == Approx(0.00124975f).epsilon(1e-4));
  CHECK(p[0] == Approx(0.99f + 0.01f * 0.2894737f / std::sqrt(0.6251876f)).epsilon(1e-5));
  // Adam with L2 decay adds wd*p to the gradient; AdamW decays the weight directly.
  float pa[] = {2.0f}, ga[] = {0.0f}, ma[] = {0.0f}, va[] = {0.0f};
  AdamParams hw;
  hw.lr = 0.1f, hw.weight_decay = 0.5f, hw.decoupled = true;
  cpu::adam_step(1, hw, 1, pa, ga, ma, va);
  CHECK(pa[0] == Approx(2.0f - 0.1f * 0.5f * 2.0f));
}
