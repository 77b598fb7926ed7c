// Strict configs: unknown or misspelt keys, wrong types and out-of-range values are errors that name
// the file, line and key and list the valid keys.
#include <catch2/catch.hpp>
#include <filesystem>
#include <vector>

#include "common/error.h"
#include "common/files.h"
#include "common/yaml_guard.h"
#include "common/strict_yaml.h"
#include "error_of.h"
#include "experiments/compute_options.h"
#include "nn/network.h"
#include "nn/optimizer.h"
#include "temp_dir.h"
#include "watermark/embedding.h"

using namespace nullmark;
using nullmark::test::error_of;

TEST_CASE("a misspelt key names file, line, key and the valid keys", "[config]") {
  test::TempDir d;
  const std::string path = d.write("c.yaml", "optimizer:\n  type: sgd\n  lr: 0.1\n  momentun: 0.9\n");
  ConfigMap root = ConfigMap::load_file(path);
  const std::string e = error_of([&] { OptimizerConfig::read(root.section("optimizer")); });
  CHECK_THAT(e, Catch::Contains(path + ":4:3") && Catch::Contains("optimizer.momentun: unknown key") &&
                    Catch::Contains("type, lr, weight_decay, momentum, nesterov"));
}

TEST_CASE("wrong types and out-of-range values are rejected", "[config]") {
  auto read = [](const std::string& text) {
    ConfigMap root = ConfigMap::load_string(text, "t.yaml");
    return OptimizerConfig::read(root.section("optimizer"));
  };
  CHECK_THAT(error_of([&] { read("optimizer: {type: adam, lr: fast}"); }),
             Catch::Contains("t.yaml:1:") && Catch::Contains("optimizer.lr: expected a number, got \"fast\""));
  CHECK_THAT(error_of([&] { read("optimizer: {type: adam, lr: -1}"); }),
             Catch::Contains("must be in [1e-08, 10], got -1"));
  CHECK_THAT(error_of([&] { read("optimizer: {type: adagrad}"); }),
             Catch::Contains("unknown value \"adagrad\"; valid values: sgd, adam, adamw"));
  CHECK_THAT(error_of([&] { read("optimizer: [1, 2]"); }), Catch::Contains("expected a map"));
  CHECK(read("optimizer: {type: sgd, lr: 0.5}").sgd.lr == 0.5f);
}

TEST_CASE("malformed YAML names the line", "[config]") {
  CHECK_THAT(error_of([] { ConfigMap::load_string("a: [1, 2\nb: 3\n", "bad.yaml"); }),
             Catch::Contains("bad.yaml:") && Catch::Contains("YAML syntax error"));
}

TEST_CASE("model section: unknown layer types and keys, shape errors", "[config][network]") {
  auto build = [](const std::string& text, int classes = 10) {
    ConfigMap root = ConfigMap::load_string(text, "m.yaml");
    return Network::from_config(root.section("model"), Shape{1, 28, 28}, classes);
  };
  CHECK_THAT(error_of([&] { build("model: {layers: [{type: conv3d}]}"); }),
             Catch::Contains("unknown value \"conv3d\"") &&
                 Catch::Contains("batchnorm, conv2d, dense, dropout, flatten, global_avgpool, leaky_relu, maxpool2d, relu, residual"));
  CHECK_THAT(error_of([&] { build("model: {layers: [{type: conv2d, filters: 4, kernel: 3, strid: 2}]}"); }),
             Catch::Contains("model.layers[0].strid: unknown key"));
  CHECK_THAT(error_of([&] { build("model: {layers: [{type: dense, units: 10}]}"); }),
             Catch::Contains("add a flatten layer"));
  CHECK_THAT(error_of([&] { build("model: {layers: [{type: flatten}, {type: dense, units: 7}]}"); }),
             Catch::Contains("outputs 7 values per sample but the data set has 10 classes"));
  CHECK_THAT(error_of([&] { build("model: {layers: [{type: conv2d, filters: 2, kernel: 40}]}"); }),
             Catch::Contains("larger than the padded input"));
  Network ok = build(
      "model: {name: tiny, layers: [{type: conv2d, filters: 2, kernel: 3, padding: 1}, {type: relu},"
      " {type: maxpool2d}, {type: flatten}, {type: dense, units: 10}]}");
  CHECK(ok.output_shape() == Shape{10});
  CHECK(ok.param_count() == (2 * 9 + 2) + (2 * 14 * 14 * 10 + 10));
  CHECK_THAT(ok.summary("tiny"),
             Catch::Contains("2x28x28") && Catch::Contains("2x14x14") && Catch::Contains("total parameters: 3950"));
  ok.set_profiling(true);  // the profile names each layer with its settings
  const std::vector<float> x(2 * 28 * 28, 0.5f);
  ok.forward_host(x.data(), 2, LayerContext{});
  CHECK_THAT(ok.profile_report(), Catch::Contains("conv2d        2@3x3 s1 p1") && Catch::Contains("1 passes"));
}

TEST_CASE("command-line overrides keep YAML types", "[config]") {
  ConfigMap root = ConfigMap::load_string("train: {epochs: 5}\n", "o.yaml");
  apply_override(root.node(), "train.epochs=2");
  apply_override(root.node(), "data.path=/x");
  CHECK(root.section("train").integer("epochs", 1, 0, 10) == 2);
  CHECK(root.section("data").string("path") == "/x");
  CHECK_THROWS_AS(apply_override(root.node(), "no-equals-sign"), Error);
}

TEST_CASE("the cuda section: options, their defaults and bad values", "[config]") {
  ConfigMap none = ConfigMap::load_string("device: cpu\n", "c.yaml");
  const ComputeOptions defaults = ComputeOptions::read(none);
  CHECK(defaults.device == Device::CPU);
  CHECK(defaults.conv_native == "auto");
  CHECK(defaults.conv_tiling == "measured");
  CHECK_FALSE(defaults.graph);
  ConfigMap set = ConfigMap::load_string("device: cuda\ncuda: {conv_native: gemm, conv_tiling: model, graph: true}\n",
                                         "c.yaml");
  const ComputeOptions o = ComputeOptions::read(set);
  CHECK(o.device == Device::CUDA);
  CHECK(o.conv_native == "gemm");
  CHECK(o.conv_tiling == "model");
  CHECK(o.graph);
  ConfigMap bad = ConfigMap::load_string("cuda: {conv_native: fft}\n", "c.yaml");
  CHECK_THROWS_WITH(ComputeOptions::read(bad), Catch::Contains("valid values: auto, gemm, direct"));
  CHECK(defaults.resident_data == "auto");
  ConfigMap resident = ConfigMap::load_string("cuda: {resident_data: off}\n", "c.yaml");
  CHECK(ComputeOptions::read(resident).resident_data == "off");
  ConfigMap bad_resident = ConfigMap::load_string("cuda: {resident_data: yes}\n", "c.yaml");
  CHECK_THROWS_WITH(ComputeOptions::read(bad_resident), Catch::Contains("valid values: auto, on, off"));
  ConfigMap bad_tiling = ConfigMap::load_string("cuda: {conv_tiling: fastest}\n", "c.yaml");
  CHECK_THROWS_WITH(ComputeOptions::read(bad_tiling), Catch::Contains("valid values: measured, model"));
}

TEST_CASE("a CPU run makes no CUDA context, and nothing is placed on the GPU without one", "[config][cuda-context]") {
  ConfigMap cpu = ConfigMap::load_string("device: cpu\n", "c.yaml");
  CHECK(ComputeOptions::read(cpu).activate("c.yaml") == nullptr);
  ConfigMap model = ConfigMap::load_string("layers:\n  - {type: flatten}\n  - {type: dense, units: 3}\n", "m.yaml");
  Network net = Network::from_config(model, Shape{1, 2, 2}, 3);
  CHECK_THROWS_WITH(net.to(Device::CUDA), Catch::Contains("needs the CUDA context it runs with"));
  CHECK(net.device() == Device::CPU);  // refused before anything moved
  CHECK_THROWS_WITH(net.gpu(), Catch::Contains("not on the GPU"));
  CHECK_THROWS_WITH(net.layer(1).set_device(Device::CUDA, nullptr),
                    Catch::Contains("dense: a layer on the GPU needs the CUDA context"));
}

TEST_CASE("hostile YAML: anchors, aliases, duplicate keys, extra documents, depth and size are refused",
          "[config][hostile]") {
  const auto error = [](const std::string& text) { return error_of([&] { ConfigMap::load_string(text, "h.yaml"); }); };
  // A self-referencing anchor overflowed yaml-cpp's stack; nested aliases grew memory without bound.
  CHECK_THAT(error("a: &x [*x]\n"), Catch::Contains("h.yaml:1:4: YAML anchors (&name) are not allowed"));
  std::string bomb = "a: &a [1, 2]\n";
  for (char c = 'b'; c <= 'z'; ++c)
    bomb += std::string(1, c) + ": &" + c + " [*" + char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + "]\n";
  CHECK_THAT(error(bomb), Catch::Contains("YAML anchors (&name) are not allowed"));
  CHECK_THAT(error("a: *undefined\n"), Catch::Contains("h.yaml:1"));
  // yaml-cpp keeps the first of two equal keys; a config that says lr twice is refused, naming both lines.
  CHECK_THAT(error("optimizer:\n  lr: 0.001\n  type: adam\n  lr: 5\n"),
             Catch::Contains("h.yaml:4:3: duplicate key 'lr' (first given on line 2)"));
  CHECK_THAT(error("optimizer: {lr: 0.001, lr: 5}\n"), Catch::Contains("duplicate key 'lr'"));
  CHECK(error("a: {lr: 1}\nb: {lr: 2}\n") == "");  // the same key in different maps is fine
  // yaml-cpp ignores a second document.
  CHECK_THAT(error("train: {epochs: 1}\n---\ntrain: {epochs: 2}\n"), Catch::Contains("a second YAML document"));
  CHECK_THAT(error("? [a, b]\n: 1\n"), Catch::Contains("a map key must be a plain value"));
  const std::string deep = std::string(200, '[') + std::string(200, ']');
  CHECK_THAT(error("a: " + deep + "\n"), Catch::Contains("nesting deeper than 64 levels"));
  CHECK_THAT(error("a: '" + std::string(2 << 20, 'x') + "'\n"), Catch::Contains("bytes of YAML; nullmark reads at most"));
  // The same guard covers --set values.
  YAML::Node root = YAML::Node(YAML::NodeType::Map);
  CHECK_THAT(error_of([&] { apply_override(root, "train=&a {x: *a}"); }), Catch::Contains("--set train=&a {x: *a}"));
}

TEST_CASE("a watermark section with nothing to learn from is refused", "[config][hostile]") {
  const std::string claim = "claim: " NULLMARK_SOURCE_DIR "/experiments/claims/demo-digit-lambda10.json\n";
  const auto error = [&](const std::string& extra) {
    return error_of([&] {
      ConfigMap m = ConfigMap::load_string(claim + extra, "w.yaml");
      WatermarkTraining::read(m, nullptr);
    });
  };
  CHECK(error("") == "");
  CHECK_THAT(error("clean_weight: 0\nnull_weight: 0\ntrue_weight: 0\n"),
             Catch::Contains("clean_weight, null_weight and true_weight are all 0"));
  CHECK_THAT(error("null_weight: 0\ntrue_weight: 0\n"), Catch::Contains("the watermark is never trained"));
  CHECK(error("null_weight: 0\n") == "");  // true embedding alone trains the watermark
  CHECK_THAT(error("null_fraction: 0\ntrue_fraction: 0\n"), Catch::Contains("no sample is ever stamped"));
  CHECK(error("null_fraction: 0\n") == "");  // true embedding alone is a study of its own
  CHECK_THAT(error("null_weight: 1.5x\n"), Catch::Contains("null_weight"));
  CHECK(error("batchnorm_statistics: clean\n") == "");
  CHECK_THAT(error("batchnorm_statistics: stamped\n"), Catch::Contains("batchnorm_statistics"));
}

TEST_CASE("every shipped config passes the YAML guard", "[config]") {
  // The guard refuses anchors and aliases, so a shipped config must spell every block out.
  int configs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(NULLMARK_SOURCE_DIR "/experiments/configs")) {
    if (entry.path().extension() != ".yaml") continue;
    INFO(entry.path().string());
    CHECK(error_of([&] { load_yaml(read_file(entry.path().string()), entry.path().string()); }) == "");
    ++configs;
  }
  CHECK(configs > 10);
}
