// The C++ side of the Python interop checks (tests/interop/):
//   onnx_fixture export CONFIG C,H,W CLASSES DIR
//     the model of a config with random parameters and the batch-norm statistics of random
//     batches, exported to DIR/model.onnx, with a batch of random inputs (DIR/input.bin, float32)
//     and nullmark's logits for them (DIR/logits.bin): what ONNX Runtime is compared against;
//   onnx_fixture logits MODEL INPUT.bin OUT.bin
//     nullmark's logits for a batch of a model file (checkpoint or ONNX): how a model exported
//     elsewhere is compared with its exporter.
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "common/files.h"
#include "common/strict_yaml.h"
#include "interop/model_file.h"
#include "interop/onnx_export.h"
#include "nn/network.h"

namespace {
using namespace nullmark;

std::string bytes_of(const float* v, size_t n) { return std::string(reinterpret_cast<const char*>(v), n * sizeof(float)); }

int export_fixture(const std::string& config, const std::string& shape, int classes, const std::string& dir) {
  std::vector<int> dims;
  for (std::string s = shape; !s.empty();) {
    const size_t comma = s.find(',');
    dims.push_back(std::stoi(s.substr(0, comma)));
    s = comma == std::string::npos ? "" : s.substr(comma + 1);
  }
  const Shape in(dims);
  ConfigMap root = ConfigMap::load_file(config);
  Network net = Network::from_config(root.section("model"), in, classes);
  net.init_params(7);
  std::mt19937_64 rng(8);
  std::uniform_real_distribution<float> shift(-0.1f, 0.1f), pixel(-2.0f, 2.0f);
  std::vector<float> p = net.host_params();
  for (float& v : p) v += shift(rng);
  net.set_params(p);
  const int n = 8;
  std::vector<float> x(n * in.numel());
  // Running statistics from training-mode passes over random batches, so that batch norm matters.
  LayerContext train;
  train.training = true;
  for (int step = 0; step < 40; ++step) {
    for (float& v : x) v = pixel(rng);
    train.step = step;
    net.forward_host(x.data(), n, train);
  }
  for (float& v : x) v = pixel(rng);
  const float* y = net.forward_host(x.data(), n, LayerContext{});
  write_file_atomic(dir + "/model.onnx", onnx_export(net, {}));
  write_file_atomic(dir + "/input.bin", bytes_of(x.data(), x.size()));
  write_file_atomic(dir + "/logits.bin", bytes_of(y, n * net.output_shape().numel()));
  std::printf("%s: %zu parameters, %d samples\n", config.c_str(), net.param_count(), n);
  return 0;
}

int logits(const std::string& model, const std::string& input, const std::string& out) {
  const Checkpoint ck = load_model_file(model);
  ConfigMap cfg = ConfigMap::load_string(ck.config_yaml, model);
  Network net = Network::from_config(cfg.section("model"), Shape(ck.input_shape), ck.classes);
  load_network(ck, net, model);
  const std::string raw = read_file(input);
  std::vector<float> x(raw.size() / sizeof(float));
  std::copy(raw.data(), raw.data() + x.size() * sizeof(float), reinterpret_cast<char*>(x.data()));
  const int n = static_cast<int>(x.size() / net.input_shape().numel());
  const float* y = net.forward_host(x.data(), n, LayerContext{});
  write_file_atomic(out, bytes_of(y, n * net.output_shape().numel()));
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "export" && argc == 6) return export_fixture(argv[2], argv[3], std::stoi(argv[4]), argv[5]);
    if (mode == "logits" && argc == 5) return logits(argv[2], argv[3], argv[4]);
    std::fprintf(stderr, "usage: onnx_fixture export CONFIG C,H,W CLASSES DIR | logits MODEL INPUT.bin OUT.bin\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
