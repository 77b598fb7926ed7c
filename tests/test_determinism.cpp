// End to end: a few training steps of a tiny CNN (with dropout) and of a residual block give
// bitwise-identical losses for the same seed and thread count, and save -> load -> continue equals
// continue.
#include <catch2/catch.hpp>
#include <random>

#include "train/trainer.h"
#include "nn/checkpoint.h"
#include "nn/network.h"
#include "synthetic_data.h"
#include "temp_dir.h"

using namespace nullmark;

namespace {
const char* kModel =
    "model: {name: tiny, layers: [{type: conv2d, filters: 4, kernel: 3, padding: 1}, {type: relu},"
    " {type: maxpool2d}, {type: conv2d, filters: 6, kernel: 3, stride: 2}, {type: relu}, {type: flatten},"
    " {type: dropout, p: 0.25}, {type: dense, units: 16}, {type: relu}, {type: dense, units: 5}]}";

// A residual block over batch norm: the CPU's direct 3x3 forms at stride 1 and 2 (padded), the
// lowered 1x1 projection, and batch norm's statistics, all in one training step.
const char* kBlockModel =
    "model: {name: block, layers: [{type: conv2d, filters: 8, kernel: 3, padding: 1, bias: false},"
    " {type: batchnorm, activation: relu},"
    " {type: residual, body: [{type: conv2d, filters: 8, kernel: 3, stride: 2, padding: 1, bias: false},"
    " {type: batchnorm, activation: relu}, {type: conv2d, filters: 8, kernel: 3, padding: 1, bias: false},"
    " {type: batchnorm}], shortcut: [{type: conv2d, filters: 8, kernel: 1, stride: 2, bias: false},"
    " {type: batchnorm}]}, {type: global_avgpool}, {type: dense, units: 5}]}";

// The Winograd form in all three passes (cpu_algorithm: winograd): a 1x1 convolution with padding 2
// makes the 12x12 input 16x16 with 16 channels, where the 3x3 convolution takes that form.
const char* kWinogradModel =
    "model: {name: winograd, cpu_algorithm: winograd, layers: [{type: conv2d, filters: 16, kernel: 1, padding: 2,"
    " bias: false}, {type: batchnorm, activation: relu}, {type: conv2d, filters: 16, kernel: 3, padding: 1,"
    " bias: false}, {type: batchnorm, activation: relu}, {type: global_avgpool}, {type: dense, units: 5}]}";

Network tiny(const char* model = kModel) {
  ConfigMap root = ConfigMap::load_string(model, "tiny.yaml");
  return Network::from_config(root.section("model"), Shape{1, 12, 12}, 5);
}

TrainParams params(const std::string& opt) {
  TrainParams p;
  p.epochs = 4;
  p.batch_size = 16;
  p.optimizer.type = opt;
  p.optimizer.sgd.lr = 0.05f;
  p.optimizer.sgd.momentum = 0.9f;
  p.schedule.type = "cosine";
  return p;
}

std::vector<double> losses(Network& net, Optimizer& opt, const Dataset& d, const TrainParams& p, long first_epoch,
                           long epochs, long& step) {
  Trainer t(net, opt, p, 7);
  std::vector<double> out;
  for (long e = first_epoch; e < first_epoch + epochs; ++e) out.push_back(t.run_epoch(d, e, step, nullptr).loss);
  return out;
}
}  // namespace

TEST_CASE("training is bitwise deterministic for a seed and thread count", "[determinism]") {
  const Dataset d = test::synthetic_bands(100);
  const std::string model = GENERATE(as<std::string>(), kModel, kBlockModel, kWinogradModel);
  for (const std::string opt : {"sgd", "adam"}) {
    INFO(model << " " << opt);
    std::vector<std::vector<double>> runs;
    std::vector<std::vector<float>> finals;
    for (int r = 0; r < 2; ++r) {
      Network net = tiny(model.c_str());
      if (model == kWinogradModel) REQUIRE_THAT(net.summary("w"), Catch::Contains("winograd"));
      net.init_params(3);
      Optimizer o(params(opt).optimizer, net.param_slices());
      long step = 0;
      runs.push_back(losses(net, o, d, params(opt), 0, 3, step));
      finals.emplace_back(net.params(), net.params() + net.param_count());
    }
    CHECK(runs[0] == runs[1]);
    CHECK(finals[0] == finals[1]);
    CHECK(runs[0].back() < runs[0].front());  // and it learns
  }
}

TEST_CASE("save, load and continue equals continue", "[determinism][checkpoint]") {
  const Dataset d = test::synthetic_bands(100);
  TrainParams p = params("adam");
  p.crop_padding = 2;  // augmentation and label smoothing must replay exactly after a resume
  p.flip = true;
  p.label_smoothing = 0.1;
  test::TempDir dir;
  Network a = tiny();
  a.init_params(3);
  Optimizer oa(p.optimizer, a.param_slices());
  long step = 0;
  losses(a, oa, d, p, 0, 2, step);
  Checkpoint c;
  c.config_yaml = kModel;
  c.input_shape = {1, 12, 12};
  c.classes = 5;
  c.epoch = 2;
  c.global_step = step;
  c.optimizer_type = "adam";
  c.optimizer_steps = oa.steps();
  store_network(a, c);
  c.optimizer_state = oa.state();
  save_checkpoint(dir.file("mid.ckpt"), c);
  const std::vector<double> straight = losses(a, oa, d, p, 2, 2, step);

  const Checkpoint r = load_checkpoint(dir.file("mid.ckpt"));
  Network b = tiny();
  load_network(r, b, "mid.ckpt");
  Optimizer ob(p.optimizer, b.param_slices());
  ob.restore(r.optimizer_steps, r.optimizer_state);
  long step_b = r.global_step;
  const std::vector<double> resumed = losses(b, ob, d, p, r.epoch, 2, step_b);
  CHECK(resumed == straight);
  CHECK(std::vector<float>(a.params(), a.params() + a.param_count()) ==
        std::vector<float>(b.params(), b.params() + b.param_count()));
}
