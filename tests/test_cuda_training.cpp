// Tier 2, end to end: 20 watermarked training steps of a small residual network with batch norm and
// dropout on both devices, same seed: per-epoch losses agree within 1e-3 (relative) and the final
// parameters within 1e-3; two GPU runs are bitwise identical (fixed-order reductions, no atomics),
// and so is a run whose steps are replayed from a CUDA graph.
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "experiments/trainer.h"
#include "kernels/cuda/device.h"
#include "kernels/cuda/runtime.h"
#include "nn/network.h"
#include "synthetic_data.h"
#include "watermark/derivation.h"
#include "watermark/keys.h"

using namespace nullmark;

namespace {
const char* kModel = R"(model:
  layers:
    - {type: conv2d, filters: 8, kernel: 3, padding: 1, bias: false}
    - {type: batchnorm}
    - {type: relu}
    - type: residual
      body:
        - {type: conv2d, filters: 8, kernel: 3, padding: 1, bias: false}
        - {type: batchnorm}
        - {type: relu}
        - {type: conv2d, filters: 8, kernel: 3, padding: 1}
    - {type: maxpool2d}
    - {type: flatten}
    - {type: dropout, p: 0.2}
    - {type: dense, units: 32, activation: relu}
    - {type: dense, units: 5}
)";

struct Run {
  std::vector<double> losses;
  std::vector<float> params;
};

Run train(Device device, bool graph = false) {
  ConfigMap root = ConfigMap::load_string(kModel, "cuda-training.yaml");
  Network net = Network::from_config(root.section("model"), Shape{1, 12, 12}, 5);
  TrainParams p;
  p.epochs = 4;
  p.batch_size = 16;
  p.optimizer.type = "sgd";
  p.optimizer.sgd.lr = 0.05f;
  p.optimizer.sgd.momentum = 0.9f;
  p.crop_padding = 1;
  Optimizer opt(p.optimizer, net.param_slices());
  net.to(device);
  opt.to(device);
  net.init_params(3);
  const Signature sig = sign_message(keypair_from_seed(Seed{}), "cuda training test");
  const Watermark wm = derive_watermark(sig, ImageShape{1, 12, 12}, 5, 3, 10.0f);
  Trainer t(net, opt, p, 7);
  t.set_cuda_graph(graph);
  t.set_watermark(wm, WatermarkTraining{});
  const Dataset d = test::synthetic_bands(80);  // 5 steps an epoch, 20 in all
  Run r;
  long step = 0;
  for (long e = 0; e < p.epochs; ++e) r.losses.push_back(t.run_epoch(d, e, step, nullptr).loss);
  r.params = net.host_params();
  return r;
}
}  // namespace

TEST_CASE("20 training steps agree on CPU and GPU, and the GPU is deterministic", "[cuda][training]") {
  const cuda::DeviceInfo info = cuda::query_device();
  if (!info.available) FAIL("no CUDA device: " << info.description);
  cuda::set_allow_tf32(false);
  const Run cpu = train(Device::CPU);
  const Run gpu = train(Device::CUDA);
  REQUIRE(cpu.losses.size() == gpu.losses.size());
  for (size_t e = 0; e < cpu.losses.size(); ++e) {
    INFO("epoch " << e);
    CHECK(gpu.losses[e] == Approx(cpu.losses[e]).epsilon(1e-3));
  }
  size_t bad = 0;
  for (size_t i = 0; i < cpu.params.size(); ++i)
    if (std::fabs(cpu.params[i] - gpu.params[i]) > 1e-3 * std::max(1.0f, std::fabs(cpu.params[i]))) ++bad;
  CHECK(bad == 0);
  const Run again = train(Device::CUDA);
  CHECK(again.losses == gpu.losses);
  CHECK(again.params == gpu.params);
}

TEST_CASE("the training step replayed as a CUDA graph gives the same bits", "[cuda][training][graph]") {
  const cuda::DeviceInfo info = cuda::query_device();
  if (!info.available) FAIL("no CUDA device: " << info.description);
  cuda::set_allow_tf32(false);
  // Per epoch: steps 0-1 run directly, step 2 is captured, steps 3-4 replay the graph.
  const Run direct = train(Device::CUDA, false);
  const Run graph = train(Device::CUDA, true);
  CHECK(graph.losses == direct.losses);
  CHECK(graph.params == direct.params);
}
