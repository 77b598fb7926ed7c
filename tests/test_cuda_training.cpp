// Tier 2, end to end: 20 watermarked training steps of a small residual network with batch norm and
// dropout on both devices, same seed: per-epoch losses agree within 1e-3 (relative) and the final
// parameters within 1e-3, also when every layer picks its implementations by timing; two GPU runs
// with the same implementations are bitwise identical (fixed-order reductions, no atomics),
// and so is a run whose steps are replayed from a CUDA graph. What the attack drivers add on the
// GPU: parameters held at zero (fine-pruning) and the input gradient (Neural Cleanse).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <random>

#include "train/trainer.h"
#include "kernels/cuda/device.h"
#include "kernels/cuda/runtime.h"
#include "nn/network.h"
#include "cuda_check.h"
#include "gradcheck.h"
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

// kModel with every conv2d and dense layer set to `impl` ("auto", the default, or "native").
std::string model_with_impl(const std::string& impl) {
  std::string yaml = kModel;
  for (const std::string type : {"{type: conv2d,", "{type: dense,"})
    for (size_t at = yaml.find(type); at != std::string::npos; at = yaml.find(type, at + 1))
      yaml.insert(at + type.size(), " impl: " + impl + ",");
  return yaml;
}

// `impl` auto lets each layer time both implementations of each pass (the timing repeats the pass,
// which must not change its result); the bitwise comparisons between GPU runs fix the choice, since
// two runs may time differently and pick differently.
// `gpu`: the CUDA context to train with (null: the tests' shared float32 one).
Run train(Device device, bool graph = false, const std::vector<size_t>& zeroed = {},
          const std::string& impl = "native", Trainer::ResidentData resident = Trainer::ResidentData::Off,
          std::shared_ptr<cuda::Context> gpu = nullptr) {
  ConfigMap root = ConfigMap::load_string(model_with_impl(impl), "cuda-training.yaml");
  Network net = Network::from_config(root.section("model"), Shape{1, 12, 12}, 5);
  TrainParams p;
  p.epochs = 4;
  p.batch_size = 16;
  p.optimizer.type = "sgd";
  p.optimizer.sgd.lr = 0.05f;
  p.optimizer.sgd.momentum = 0.9f;
  p.crop_padding = 1;
  Optimizer opt(p.optimizer, net.param_slices());
  net.to(device, device == Device::CUDA ? (gpu ? gpu : test::shared_gpu()) : nullptr);
  opt.to(net);
  net.init_params(3);
  const Signature sig = sign_message(keypair_from_seed(Seed{}), "cuda training test");
  const Watermark wm = derive_watermark(sig, ImageShape{1, 12, 12}, 5, 3, 10.0f);
  Trainer t(net, opt, p, 7);
  t.set_cuda_graph(graph);
  t.set_resident_data(resident);
  t.set_watermark(wm, WatermarkTraining{});
  t.set_zeroed(zeroed);
  const Dataset d = test::synthetic_bands(80);  // 5 steps an epoch, 20 in all
  Run r;
  long step = 0;
  for (long e = 0; e < p.epochs; ++e) r.losses.push_back(t.run_epoch(d, e, step, nullptr).loss);
  r.params = net.host_params();
  return r;
}
}  // namespace

TEST_CASE("20 training steps agree on CPU and GPU, and the GPU is deterministic", "[cuda][training]") {
  test::GpuCheck gpu_present;
  const Run cpu = train(Device::CPU);
  const Run gpu = train(Device::CUDA);
  REQUIRE(cpu.losses.size() == gpu.losses.size());
  for (size_t e = 0; e < cpu.losses.size(); ++e) {
    INFO("epoch " << e);
    CHECK(gpu.losses[e] == Approx(cpu.losses[e]).epsilon(1e-3));
  }
  test::close("parameters", cpu.params, gpu.params, 1e-3);
  const Run timed = train(Device::CUDA, false, {}, "auto");  // each layer picks per pass by timing
  for (size_t e = 0; e < cpu.losses.size(); ++e) {
    INFO("impl auto, epoch " << e);
    CHECK(timed.losses[e] == Approx(cpu.losses[e]).epsilon(1e-3));
  }
  test::close("parameters (impl auto)", cpu.params, timed.params, 1e-3);
  const Run again = train(Device::CUDA);
  CHECK(again.losses == gpu.losses);
  CHECK(again.params == gpu.params);
}

TEST_CASE("the training step replayed as a CUDA graph gives the same bits", "[cuda][training][graph]") {
  test::GpuCheck gpu_present;
  // Per epoch: steps 0-1 run directly, step 2 is captured, steps 3-4 replay the graph.
  const Run direct = train(Device::CUDA, false);
  const Run graph = train(Device::CUDA, true);
  CHECK(graph.losses == direct.losses);
  CHECK(graph.params == direct.params);
}

TEST_CASE("batches gathered on the GPU from the resident data set train exactly as uploaded ones",
          "[cuda][training][resident]") {
  test::GpuCheck gpu_present;
  const Run uploaded = train(Device::CUDA, false, {}, "native", Trainer::ResidentData::Off);
  const Run resident = train(Device::CUDA, false, {}, "native", Trainer::ResidentData::On);
  CHECK(resident.losses == uploaded.losses);
  CHECK(resident.params == uploaded.params);
  const Run resident_graph = train(Device::CUDA, true, {}, "native", Trainer::ResidentData::On);
  CHECK(resident_graph.params == uploaded.params);
}

TEST_CASE("training in tf32 and bf16: close to float32, deterministic, and the same when replayed as a graph",
          "[cuda][training][precision]") {
  test::GpuCheck gpu_present;
  const Run fp32 = train(Device::CUDA);
  for (Precision p : {Precision::Tf32, Precision::Bf16}) {
    INFO(precision_name(p));
    cuda::ContextOptions o = cuda::ContextOptions::from_environment();
    o.precision = p;
    const auto gpu = std::make_shared<cuda::Context>(o);
    const Run reduced = train(Device::CUDA, false, {}, "native", Trainer::ResidentData::Off, gpu);
    // 20 steps of SGD from the same start: the rounded products move the losses by well under 5 %
    // (bf16 keeps 8 significant bits) and leave every loss finite.
    for (size_t e = 0; e < fp32.losses.size(); ++e) {
      INFO("epoch " << e);
      REQUIRE(std::isfinite(reduced.losses[e]));
      CHECK(reduced.losses[e] == Approx(fp32.losses[e]).epsilon(0.05));
    }
    CHECK(reduced.losses != fp32.losses);  // the precision did change the products
    const Run again = train(Device::CUDA, false, {}, "native", Trainer::ResidentData::Off, gpu);
    CHECK(again.params == reduced.params);
    const Run graph = train(Device::CUDA, true, {}, "native", Trainer::ResidentData::Off, gpu);
    CHECK(graph.params == reduced.params);
    // impl: auto (the default) in bf16 takes the native convolutions (cuDNN's bf16 results are rounded
    // to bfloat16, another computation) and trains.
    const Run timed = train(Device::CUDA, false, {}, "auto", Trainer::ResidentData::Off, gpu);
    for (size_t e = 0; e < fp32.losses.size(); ++e)
      CHECK(timed.losses[e] == Approx(fp32.losses[e]).epsilon(0.05));
  }
}

TEST_CASE("parameters held at zero stay zero on the GPU, and training agrees with the CPU", "[cuda][training]") {
  test::GpuCheck gpu_present;
  // Every third weight of the stem convolution, and 100 weights of the residual block's second one.
  std::vector<size_t> zeroed;
  for (size_t i = 0; i < 72; i += 3) zeroed.push_back(i);
  const Run plain = train(Device::CPU);
  REQUIRE(plain.params.size() > 2000);
  for (size_t i = 1000; i < 1100; ++i) zeroed.push_back(i);
  const Run cpu = train(Device::CPU, false, zeroed);
  const Run gpu = train(Device::CUDA, false, zeroed);
  for (size_t i : zeroed) {
    INFO("parameter " << i);
    CHECK(cpu.params[i] == 0.0f);
    CHECK(gpu.params[i] == 0.0f);
  }
  CHECK(cpu.params != plain.params);  // the held-at-zero set changed the training
  test::close("parameters", cpu.params, gpu.params, 1e-3);
  const Run graph = train(Device::CUDA, true, zeroed);  // the zeroing is part of the captured step
  CHECK(graph.params == gpu.params);
}

TEST_CASE("the input gradient (Neural Cleanse) agrees on CPU and GPU, host buffers on both", "[cuda][network]") {
  test::GpuCheck gpu_present;
  auto input_gradient = [](Device device) {
    ConfigMap root = ConfigMap::load_string(kModel, "cuda-training.yaml");
    Network net = Network::from_config(root.section("model"), Shape{1, 12, 12}, 5);
    net.init_params(5);
    net.to(device, device == Device::CUDA ? test::shared_gpu() : nullptr);
    const int n = 7;
    const std::vector<float> x = test::random_floats(static_cast<size_t>(n) * 144, 8);
    const std::vector<float> r = test::random_floats(static_cast<size_t>(n) * 5, 9);
    LayerContext ctx;  // evaluation mode, as the attack runs it
    const float* logits = net.forward_host(x.data(), n, ctx);
    std::vector<float> out(logits, logits + static_cast<size_t>(n) * 5);
    std::vector<float> dx(x.size(), -7.0f);
    net.backward_to_input_host(r.data(), ctx, dx.data());
    out.insert(out.end(), dx.begin(), dx.end());
    LayerContext input_only = ctx;  // as Neural Cleanse runs it: no weight gradients
    input_only.param_grads = false;
    net.forward_host(x.data(), n, input_only);
    std::vector<float> dx_only(x.size(), -7.0f);
    net.backward_to_input_host(r.data(), input_only, dx_only.data());
    out.insert(out.end(), dx_only.begin(), dx_only.end());
    return out;
  };
  const std::vector<float> cpu = input_gradient(Device::CPU), gpu = input_gradient(Device::CUDA);
  test::close("logits and dx", cpu, gpu, 1e-4);
  CHECK(std::count(gpu.begin(), gpu.end(), -7.0f) == 0);  // every entry of dx written
}
