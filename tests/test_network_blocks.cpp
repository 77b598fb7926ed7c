// Residual blocks and batch normalisation inside networks: YAML expression and its errors, gradients
// through the whole graph (float, finite differences), activations of nested blocks in the network's
// arenas, train/eval and held statistics, buffers in checkpoints, and weight decay per parameter group.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "common/strict_yaml.h"
#include "error_of.h"
#include "gradcheck.h"
#include "nn/checkpoint.h"
#include "nn/network.h"
#include "nn/optimizer.h"
#include "temp_dir.h"

using namespace nullmark;
using nullmark::test::error_of;
using nullmark::test::random_floats;

namespace {
Network build(const std::string& text, const Shape& in = Shape{3, 6, 6}, int classes = 4) {
  ConfigMap root = ConfigMap::load_string(text, "m.yaml");
  return Network::from_config(root.section("model"), in, classes);
}

// Two residual blocks (identity and projection shortcut) with batch norm, then a dense head.
const char* kResNet = R"(model:
  layers:
    - {type: conv2d, filters: 4, kernel: 3, padding: 1, bias: false}
    - {type: batchnorm}
    - {type: relu}
    - type: residual
      activation: none
      body:
        - {type: conv2d, filters: 4, kernel: 3, padding: 1, bias: false}
        - {type: batchnorm}
        - {type: relu}
        - {type: conv2d, filters: 4, kernel: 3, padding: 1, bias: false}
        - {type: batchnorm}
    - type: residual
      activation: none
      body:
        - {type: conv2d, filters: 5, kernel: 3, stride: 2, padding: 1, bias: false}
        - {type: batchnorm}
      shortcut:
        - {type: conv2d, filters: 5, kernel: 1, stride: 2, bias: false}
        - {type: batchnorm}
    - {type: global_avgpool}
    - {type: dense, units: 4}
)";

double dot(const float* a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < b.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}
}  // namespace

TEST_CASE("residual blocks: YAML errors name the nested layer", "[network][residual]") {
  CHECK_THAT(error_of([] { build("model: {layers: [{type: residual, body: [{type: conv2d, filters: 3, kernel: 1, strid: 2}]}]}"); }),
             Catch::Contains("model.layers[0].body[0].strid: unknown key"));
  CHECK_THAT(error_of([] { build("model: {layers: [{type: residual, body: []}]}"); }),
             Catch::Contains("needs at least one layer in its body"));
  CHECK_THAT(error_of([] { build("model: {layers: [{type: residual, body: [{type: conv2d, filters: 5, kernel: 1}]}]}"); }),
             Catch::Contains("body outputs 5x6x6 but the shortcut 3x6x6") && Catch::Contains("add a shortcut"));
  CHECK_THAT(error_of([] { build("model: {layers: [{type: residual, body: [{type: dense, units: 3}]}]}"); }),
             Catch::Contains("layer 0 (residual+relu): body: layer 0 (dense)"));
}

TEST_CASE("an identity residual block adds its input to its body's output", "[network][residual]") {
  Network net = build(
      "model: {layers: [{type: residual, activation: relu, body: [{type: conv2d, filters: 3, kernel: 3, padding: 1}]},"
      " {type: flatten}, {type: dense, units: 4}]}");
  Network body = build("model: {layers: [{type: conv2d, filters: 3, kernel: 3, padding: 1}, {type: flatten},"
                       " {type: dense, units: 4}]}");
  net.init_params(5);
  std::copy(net.params(), net.params() + net.param_count(), body.params());  // same parameter layout
  const std::vector<float> x = random_floats(2 * 108, 1);
  LayerContext ctx;
  net.forward_host(x.data(), 2, ctx);
  body.forward_host(x.data(), 2, ctx);
  const Tensor sum = net.output(0), conv = body.output(0);
  for (size_t i = 0; i < sum.numel(); ++i) CHECK(sum.data[i] == Approx(std::max(0.0f, conv.data[i] + x[i])));
}

TEST_CASE("gradients through residual blocks and batch norm match finite differences", "[network][residual][gradcheck]") {
  Network net = build(kResNet);
  net.init_params(11);
  const int n = 3;
  std::vector<float> x = random_floats(static_cast<size_t>(n) * 108, 2);
  const std::vector<float> r = random_floats(static_cast<size_t>(n) * 4, 3);
  LayerContext ctx;
  ctx.training = true;  // batch statistics: the hard case, every sample's gradient depends on the others
  auto loss = [&] { return dot(net.forward_host(x.data(), n, ctx), r); };
  loss();
  std::vector<float> dx(x.size());
  net.backward_to_input_host(r.data(), ctx, dx.data());
  const std::vector<float> grads(net.grads(), net.grads() + net.param_count());

  // Float forward passes: a step wide enough for float round-off, narrow enough that few ReLU kinks
  // are crossed (1e-2 crosses them for the stem's weights, which move whole channels).
  REQUIRE(x.size() / 7 > 20);
  test::check_gradient_at("dx", x.data(), dx.data(), x.size(), 7, loss, 1e-3, 2e-2);
  test::check_gradient_at("dparams", net.params(), grads.data(), net.param_count(), 3, loss, 1e-3, 2e-2);

  // Input gradient only (Neural Cleanse): the same dx, and no parameter gradient is computed (a
  // marker written into them survives).
  loss();
  std::fill(net.grads(), net.grads() + net.param_count(), 7.0f);
  LayerContext input_only = ctx;
  input_only.param_grads = false;
  std::vector<float> dx_only(x.size());
  net.backward_to_input_host(r.data(), input_only, dx_only.data());
  CHECK(dx_only == dx);
  CHECK(static_cast<size_t>(std::count(net.grads(), net.grads() + net.param_count(), 7.0f)) == net.param_count());
}

TEST_CASE("batch norm: training uses batch statistics, evaluation the running ones", "[network][batchnorm]") {
  Network net = build("model: {layers: [{type: batchnorm, momentum: 1.0}, {type: flatten}, {type: dense, units: 4}]}");
  net.init_params(1);
  REQUIRE(net.buffer_count() == 6);
  CHECK(net.buffers()[0] == 0.0f);  // running mean starts at 0, running variance at 1
  CHECK(net.buffers()[3] == 1.0f);
  const int n = 8;
  std::vector<float> x = random_floats(static_cast<size_t>(n) * 108, 4);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 3.0f * x[i] + 2.0f;
  LayerContext train;
  train.training = true;
  const std::vector<float> trained(net.forward_host(x.data(), n, train), net.forward_host(x.data(), n, train) + n * 4);
  // momentum 1: the running statistics are the last batch's (mean near 2, variance near 3).
  CHECK(net.buffers()[0] == Approx(2.0).margin(0.3));
  CHECK(net.buffers()[3] == Approx(3.0).margin(0.6));
  const float* evaluated = net.forward_host(x.data(), n, LayerContext{});
  double worst = 0;  // the same statistics up to the unbiased variance's n/(n-1)
  for (int i = 0; i < n * 4; ++i) worst = std::max(worst, std::fabs(static_cast<double>(evaluated[i] - trained[i])));
  CHECK(worst < 0.05);
  CHECK(worst > 0.0);

  test::TempDir d;  // running statistics travel with the checkpoint
  Checkpoint c;
  c.config_yaml = "model: {}\n";
  c.optimizer_type = "adam";
  c.classes = 4;  // the dense layer's units: a checkpoint must name a class count
  store_network(net, c);
  save_checkpoint(d.file("bn.ckpt"), c);
  Network other = build("model: {layers: [{type: batchnorm}, {type: flatten}, {type: dense, units: 4}]}");
  load_network(load_checkpoint(d.file("bn.ckpt")), other, d.file("bn.ckpt"));
  const float* again = other.forward_host(x.data(), n, LayerContext{});
  for (int i = 0; i < n * 4; ++i) CHECK(again[i] == evaluated[i]);

  c.buffers.pop_back();
  CHECK_THAT(error_of([&] { load_network(c, other, "short.ckpt"); }),
             Catch::Contains("short.ckpt: checkpoint holds 5 buffer values"));
}

TEST_CASE("batch norm with a fused ReLU computes exactly batch norm then a ReLU layer", "[network][batchnorm]") {
  // Same parameters: the residual model with its batchnorm + relu pairs fused, and as written.
  std::string fused = kResNet;
  for (size_t at; (at = fused.find("{type: batchnorm}\n        - {type: relu}")) != std::string::npos ||
                  (at = fused.find("{type: batchnorm}\n    - {type: relu}")) != std::string::npos;) {
    const size_t end = fused.find("{type: relu}", at) + std::string("{type: relu}").size();
    fused.replace(at, end - at, "{type: batchnorm, activation: relu}");
  }
  Network a = build(kResNet), b = build(fused);
  REQUIRE(b.layer_count() == a.layer_count() - 1);
  CHECK(b.layer(1).type() == "batchnorm+relu");
  a.init_params(7);
  b.set_params(a.host_params());
  const int n = 5;
  const std::vector<float> x = random_floats(static_cast<size_t>(n) * 108, 8), dl = random_floats(n * 4, 9);
  for (const bool training : {true, false}) {
    INFO((training ? "training" : "evaluation"));
    LayerContext ctx;
    ctx.training = training;
    const float* ya = a.forward_host(x.data(), n, ctx);
    const std::vector<float> logits(ya, ya + n * 4);
    const float* yb = b.forward_host(x.data(), n, ctx);
    CHECK(std::equal(logits.begin(), logits.end(), yb));
    std::vector<float> dxa(x.size()), dxb(x.size());
    a.backward_to_input_host(dl.data(), ctx, dxa.data());
    b.backward_to_input_host(dl.data(), ctx, dxb.data());
    CHECK(dxa == dxb);
    CHECK(std::equal(a.grads(), a.grads() + a.param_count(), b.grads()));
    CHECK(a.host_buffers() == b.host_buffers());
  }
}

TEST_CASE("batch norm with held statistics trains like evaluation and keeps its running statistics",
          "[network][batchnorm][residual]") {
  Network net = build(kResNet);
  net.init_params(4);
  const int n = 5;
  const std::vector<float> x = random_floats(static_cast<size_t>(n) * 108, 6);
  const std::vector<float> r = random_floats(static_cast<size_t>(n) * 4, 7);
  LayerContext train;
  train.training = true;
  net.forward_host(x.data(), n, train);  // running statistics away from their initial 0 / 1
  const std::vector<float> stats = net.host_buffers();
  REQUIRE(stats != std::vector<float>(stats.size(), 0.0f));

  const std::vector<float> evaluated(net.forward_host(x.data(), n, LayerContext{}),
                                     net.forward_host(x.data(), n, LayerContext{}) + n * 4);
  std::vector<float> dx_eval(x.size());
  net.backward_to_input_host(r.data(), LayerContext{}, dx_eval.data());
  const std::vector<float> grads_eval(net.grads(), net.grads() + net.param_count());

  // Held in every layer, the residual blocks' inner batch norms included.
  for (size_t i = 0; i < net.layer_count(); ++i) net.layer(i).hold_statistics(true);
  const float* held = net.forward_host(x.data(), n, train);
  CHECK(std::equal(evaluated.begin(), evaluated.end(), held));
  CHECK(net.host_buffers() == stats);
  std::vector<float> dx_held(x.size());
  net.backward_to_input_host(r.data(), train, dx_held.data());
  CHECK(dx_held == dx_eval);
  CHECK(std::equal(grads_eval.begin(), grads_eval.end(), net.grads()));

  for (size_t i = 0; i < net.layer_count(); ++i) net.layer(i).hold_statistics(false);
  net.forward_host(x.data(), n, train);
  CHECK(net.host_buffers() != stats);
}

TEST_CASE("weight decay per parameter group", "[optimizer]") {
  Network net = build(kResNet);
  net.init_params(3);
  ConfigMap root = ConfigMap::load_string(
      "optimizer: {type: sgd, lr: 1.0, momentum: 0, weight_decay: 0.5, weight_decay_groups: {norm: 0.0, bias: 0.25}}",
      "o.yaml");
  Optimizer opt(OptimizerConfig::read(root.section("optimizer")), net.param_slices());
  const std::vector<float> before(net.params(), net.params() + net.param_count());
  const std::vector<float> zero(net.param_count(), 0.0f);
  opt.step(net.params(), zero.data(), 1.0f);
  size_t seen[3] = {0, 0, 0};
  for (const Layer::ParamSlice& s : net.param_slices()) {
    const double factor = s.group == "weight" ? 0.5 : s.group == "bias" ? 0.75 : 1.0;
    ++seen[s.group == "weight" ? 0 : s.group == "bias" ? 1 : 2];
    for (size_t i = s.offset; i < s.offset + s.count; ++i) CHECK(net.params()[i] == Approx(before[i] * factor));
  }
  CHECK(seen[0] == 6);  // the stem, three body convolutions, the shortcut and the dense head
  CHECK(seen[1] == 1);  // the head's bias (convolutions have none)
  CHECK(seen[2] == 5);  // batch-norm layers
  CHECK_THAT(error_of([] {
               ConfigMap bad = ConfigMap::load_string("optimizer: {weight_decay_groups: {biases: 0}}", "o.yaml");
               OptimizerConfig::read(bad.section("optimizer"));
             }),
             Catch::Contains("biases: unknown key"));
}

TEST_CASE("nested blocks keep their activations in the network's two arenas", "[network][residual]") {
  Network net = build(R"(model:
  layers:
    - {type: conv2d, filters: 4, kernel: 3, padding: 1}
    - type: residual
      body: [{type: conv2d, filters: 4, kernel: 3, padding: 1}, {type: relu}]
    - {type: flatten}
    - {type: dense, units: 5, activation: relu}
    - {type: dense, units: 3}
)",
                      Shape{1, 6, 6}, 3);
  // Outputs: 144 (conv) + 144 (block) + 144 (flatten) + 5 + 3; the block's inner part: its body's
  // two outputs (288) and one 144-float scratch slot; dense+relu: its 5 masked gradients.
  CHECK(net.activation_floats_per_sample() == 440 + 432 + 5);

  // Results do not depend on how large the arenas have grown or on what earlier batches left there.
  net.init_params(4);
  const std::vector<float> x = random_floats(5 * 36, 6), r = random_floats(5 * 3, 7);
  LayerContext ctx;
  ctx.training = true;
  auto run = [&](Network& m, int n) {
    const float* y = m.forward_host(x.data(), n, ctx);
    std::vector<float> out(y, y + n * 3);
    std::vector<float> dx(static_cast<size_t>(n) * 36);
    m.backward_to_input_host(r.data(), ctx, dx.data());
    out.insert(out.end(), dx.begin(), dx.end());
    out.insert(out.end(), m.grads(), m.grads() + m.param_count());
    return out;
  };
  const std::vector<float> first = run(net, 2);
  run(net, 5);  // grows the arenas: every pointer is placed again
  CHECK(run(net, 2) == first);
  run(net, 1);
  CHECK(run(net, 2) == first);
}
