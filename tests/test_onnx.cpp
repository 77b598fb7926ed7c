// ONNX export and import: every layer type survives nullmark → ONNX → nullmark with identical
// logits and the same layer settings; Layer::config() rebuilds every shipped model; graphs written
// the way PyTorch writes them (MatMul + Add, Reshape, Constant, Identity) import; hostile or
// unsupported models are refused with a message naming the node and the problem.
#include <onnx/onnx_pb.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "common/strict_yaml.h"
#include "error_of.h"
#include "gradcheck.h"
#include "experiments/run_setup.h"
#include "interop/onnx_export.h"
#include "interop/onnx_import.h"
#include "nn/network.h"

using namespace nullmark;
using nullmark::test::error_of;
using nullmark::test::random_floats;

namespace {
Network build(const std::string& layers_yaml, const Shape& in, int classes) {
  ConfigMap root = ConfigMap::load_string("model:\n  layers:\n" + layers_yaml, "m.yaml");
  return Network::from_config(root.section("model"), in, classes);
}

// Random parameters and batch-norm statistics (positive variances), so that every value matters.
void randomise(Network& net, uint64_t seed) {
  net.init_params(seed);
  std::vector<float> p = net.host_params();
  const std::vector<float> r = random_floats(p.size(), seed + 1, -0.2f, 0.2f);
  for (size_t i = 0; i < p.size(); ++i) p[i] += r[i];
  net.set_params(p);
  std::vector<float> b = random_floats(net.buffer_count(), seed + 2, 0.1f, 1.5f);
  net.set_buffers(b);
}

std::vector<float> logits(Network& net, const std::vector<float>& x, int n) {
  const float* y = net.forward_host(x.data(), n, LayerContext{});
  return std::vector<float>(y, y + static_cast<size_t>(n) * net.output_shape().numel());
}

// Every layer type and form: fused and separate activations, conv and dense without bias, pooling
// with a stride other than its size, leaky ReLU, dropout, batch norm on images and on features,
// residual blocks with identity and projection shortcuts, with and without a final ReLU.
const char* kAllLayers = R"(
    - {type: conv2d, filters: 4, kernel: 3, padding: 1, bias: false}
    - {type: batchnorm, eps: 0.001, momentum: 0.2}
    - {type: leaky_relu, slope: 0.1}
    - type: residual
      body:
        - {type: conv2d, filters: 4, kernel: 3, padding: 1, activation: relu}
        - {type: conv2d, filters: 4, kernel: 3, padding: 1, bias: false}
        - {type: batchnorm}
    - type: residual
      activation: none
      body:
        - {type: conv2d, filters: 6, kernel: 3, stride: 2, padding: 1, bias: false}
        - {type: batchnorm, activation: relu}
      shortcut:
        - {type: conv2d, filters: 6, kernel: 1, stride: 2, bias: false}
    - {type: maxpool2d, size: 3, stride: 1}
    - {type: dropout, p: 0.3}
    - {type: global_avgpool}
    - {type: batchnorm}
    - {type: dense, units: 7, activation: relu}
    - {type: dense, units: 5, bias: false}
)";

const char* kDigit = R"(
    - {type: conv2d, filters: 16, kernel: 5, activation: relu}
    - {type: maxpool2d, size: 2}
    - {type: conv2d, filters: 32, kernel: 5, activation: relu}
    - {type: maxpool2d, size: 2}
    - {type: flatten}
    - {type: dense, units: 512, activation: relu}
    - {type: dense, units: 10}
)";

void round_trip(const char* layers, const Shape& in, int classes) {
  Network net = build(layers, in, classes);
  randomise(net, 3);
  const std::string bytes = onnx_export(net, {{onnx_meta::kData, "{type: mnist, path: data/mnist}"}});
  const Checkpoint ck = onnx_import(bytes, "m.onnx");
  CHECK(ck.input_shape == in.dims);
  CHECK(ck.classes == classes);
  CHECK(YAML::Load(ck.config_yaml)["data"]["type"].as<std::string>() == "mnist");
  auto back = network_from_checkpoint(ck, "m.onnx");
  CHECK(YAML::Dump(back->chain().config()) == YAML::Dump(net.chain().config()));
  CHECK(back->host_params() == net.host_params());
  CHECK(back->host_buffers() == net.host_buffers());
  const int n = 3;
  const std::vector<float> x = random_floats(n * in.numel(), 9);
  CHECK(logits(*back, x, n) == logits(net, x, n));  // the same kernels on the same values: bit for bit
}

onnx::ModelProto exported(const char* layers = kDigit, const Shape& in = Shape{1, 28, 28}, int classes = 10) {
  Network net = build(layers, in, classes);
  randomise(net, 5);
  onnx::ModelProto m;
  REQUIRE(m.ParseFromString(onnx_export(net, {})));
  return m;
}
std::string import_error(const onnx::ModelProto& m) {
  std::string bytes;
  REQUIRE(m.SerializeToString(&bytes));
  return error_of([&] { onnx_import(bytes, "bad.onnx"); });
}
onnx::NodeProto& node_of(onnx::ModelProto& m, const std::string& op) {
  for (onnx::NodeProto& n : *m.mutable_graph()->mutable_node())
    if (n.op_type() == op) return n;
  FAIL("no " << op << " node");
  throw 0;
}
}  // namespace

TEST_CASE("onnx: every layer type round-trips with identical logits", "[onnx]") {
  round_trip(kAllLayers, Shape{3, 8, 8}, 5);
  round_trip(kDigit, Shape{1, 28, 28}, 10);
}

TEST_CASE("onnx: the exported graph uses standard operators and names its input and output", "[onnx]") {
  const onnx::ModelProto m = exported(kAllLayers, Shape{3, 8, 8}, 5);
  CHECK(m.opset_import(0).version() == 13);
  CHECK(m.graph().input(0).name() == "input");
  CHECK(m.graph().output(0).name() == "logits");
  std::set<std::string> ops;
  for (const auto& n : m.graph().node()) ops.insert(n.op_type());
  CHECK(ops == std::set<std::string>{"Conv", "BatchNormalization", "LeakyRelu", "Relu", "Add", "MaxPool", "Dropout",
                                     "GlobalAveragePool", "Flatten", "Gemm"});
  // ONNX's momentum keeps the old statistics: 1 - 0.2 for the first batch norm.
  const onnx::NodeProto& bn = node_of(const_cast<onnx::ModelProto&>(m), "BatchNormalization");
  for (const auto& a : bn.attribute())
    if (a.name() == "momentum") CHECK(a.f() == Approx(0.8f));
}

TEST_CASE("onnx: Layer::config rebuilds every shipped model", "[onnx][config]") {
  int models = 0;
  for (const auto& e : std::filesystem::directory_iterator(NULLMARK_SOURCE_DIR "/experiments/configs")) {
    if (e.path().extension() != ".yaml") continue;
    ConfigMap root = ConfigMap::load_file(e.path().string());
    if (!root.has("model") || !root.has("data")) continue;
    const std::string type = root.node()["data"]["type"] ? root.node()["data"]["type"].as<std::string>() : "mnist";
    const Shape in = type == "cifar-10" || type == "gtsrb" ? Shape{3, 32, 32} : type == "orl-faces" ? Shape{1, 56, 46} : Shape{1, 28, 28};
    const int classes = type == "gtsrb" ? 43 : type == "orl-faces" ? 40 : 10;
    Network a = Network::from_config(root.section("model"), in, classes);
    YAML::Node model;
    model["layers"] = a.chain().config();
    Network b = Network::from_config(ConfigMap(model, "config()", "model", YAML::Node()), in, classes);
    INFO(e.path().string());
    CHECK(YAML::Dump(b.chain().config()) == YAML::Dump(a.chain().config()));
    CHECK(b.summary() == a.summary());
    ++models;
  }
  CHECK(models >= 5);
}

TEST_CASE("onnx: graphs in PyTorch's forms import (MatMul + Add, Reshape, Constant, Identity, AveragePool)", "[onnx]") {
  onnx::ModelProto m = exported();
  onnx::GraphProto* g = m.mutable_graph();
  // Flatten → Reshape to [0, -1] with a Constant shape node in front of it.
  onnx::NodeProto& flat = node_of(m, "Flatten");
  flat.set_op_type("Reshape");
  flat.clear_attribute();
  flat.add_input("shape_const");
  onnx::NodeProto* c = g->add_node();
  c->set_op_type("Constant");
  c->set_name("shape");
  c->add_output("shape_const");
  onnx::AttributeProto* v = c->add_attribute();
  v->set_name("value");
  v->set_type(onnx::AttributeProto::TENSOR);
  v->mutable_t()->set_data_type(onnx::TensorProto::INT64);
  v->mutable_t()->add_dims(2);
  v->mutable_t()->add_int64_data(0);
  v->mutable_t()->add_int64_data(-1);
  // The last Gemm → MatMul with a transposed weight, then Add of its bias.
  onnx::NodeProto* gemm = nullptr;
  for (onnx::NodeProto& n : *g->mutable_node())
    if (n.op_type() == "Gemm") gemm = &n;
  const std::string w_name = gemm->input(1), b_name = gemm->input(2);
  for (onnx::TensorProto& t : *g->mutable_initializer())
    if (t.name() == w_name) {  // [10, 512] → [512, 10]
      const float* src = reinterpret_cast<const float*>(t.raw_data().data());
      std::vector<float> tr(512 * 10);
      for (int o = 0; o < 10; ++o)
        for (int i = 0; i < 512; ++i) tr[i * 10 + o] = src[o * 512 + i];
      t.set_raw_data(std::string(reinterpret_cast<const char*>(tr.data()), tr.size() * 4));
      t.set_dims(0, 512);
      t.set_dims(1, 10);
    }
  gemm->set_op_type("MatMul");
  gemm->clear_attribute();
  gemm->mutable_input()->RemoveLast();
  gemm->set_output(0, "mm_out");
  onnx::NodeProto* add = g->add_node();
  add->set_op_type("Add");
  add->set_name("bias_add");
  add->add_input("mm_out");
  add->add_input(b_name);
  add->add_output("pre_logits");
  onnx::NodeProto* id = g->add_node();
  id->set_op_type("Identity");
  id->set_name("id");
  id->add_input("pre_logits");
  id->add_output("logits");
  std::string bytes;
  REQUIRE(m.SerializeToString(&bytes));
  const Checkpoint ck = onnx_import(bytes, "torch.onnx");
  auto net = network_from_checkpoint(ck, "torch.onnx");
  Network ref = build(kDigit, Shape{1, 28, 28}, 10);
  randomise(ref, 5);
  CHECK(YAML::Dump(net->chain().config()) == YAML::Dump(ref.chain().config()));
  const std::vector<float> x = random_floats(2 * 784, 4);
  CHECK(logits(*net, x, 2) == logits(ref, x, 2));
  // A data set comes only from metadata: without it, commands that need data say how to add it.
  CHECK_THAT(error_of([&] { data_config_from_checkpoint(ck, "torch.onnx"); }),
             Catch::Contains("names no data set") && Catch::Contains("nullmark export"));

  // AveragePool over the whole input is global average pooling.
  onnx::ModelProto r = exported(kAllLayers, Shape{3, 8, 8}, 5);
  onnx::NodeProto& gap = node_of(r, "GlobalAveragePool");
  gap.set_op_type("AveragePool");
  onnx::AttributeProto* ks = gap.add_attribute();
  ks->set_name("kernel_shape");
  ks->set_type(onnx::AttributeProto::INTS);
  ks->add_ints(2), ks->add_ints(2);
  REQUIRE(r.SerializeToString(&bytes));
  CHECK(onnx_import(bytes, "avg.onnx").classes == 5);
  ks->set_ints(0, 1), ks->set_ints(1, 1);
  CHECK_THAT(import_error(r), Catch::Contains("whole 2x2 input"));
}

TEST_CASE("onnx: unsupported and hostile models are refused, naming the node and the problem", "[onnx][hostile]") {
  CHECK_THAT(error_of([] { onnx_import("not a protobuf \xff\xff\xff", "x.onnx"); }), Catch::Contains("x.onnx: not an ONNX model"));
  CHECK_THAT(error_of([] { onnx_import("", "empty.onnx"); }), Catch::Contains("no graph"));
  {
    onnx::ModelProto m = exported();
    onnx::NodeProto* s = m.mutable_graph()->add_node();
    node_of(m, "Gemm");  // the last node writes "logits"; put a Softmax after it
    for (onnx::NodeProto& n : *m.mutable_graph()->mutable_node())
      for (std::string& o : *n.mutable_output())
        if (o == "logits") o = "pre";
    s->set_op_type("Softmax");
    s->set_name("probs");
    s->add_input("pre");
    s->add_output("logits");
    CHECK_THAT(import_error(m), Catch::Contains("node 'probs' (Softmax): operator 'Softmax' is not supported"));
  }
  {
    onnx::ModelProto m = exported();
    onnx::AttributeProto* a = node_of(m, "Conv").add_attribute();
    a->set_name("group");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(2);
    CHECK_THAT(import_error(m), Catch::Contains("(Conv): grouped convolution"));
  }
  {
    onnx::ModelProto m = exported();
    m.mutable_graph()->mutable_initializer(0)->mutable_raw_data()->resize(10);
    CHECK_THAT(import_error(m), Catch::Contains("holds 10 bytes"));
  }
  {
    onnx::ModelProto m = exported();
    m.mutable_graph()->mutable_initializer(0)->set_dims(0, int64_t{1} << 40);
    CHECK_THAT(import_error(m), Catch::Contains("does not fit"));
  }
  {
    onnx::ModelProto m = exported();
    m.mutable_graph()->mutable_initializer(0)->set_data_type(onnx::TensorProto::DOUBLE);
    CHECK_THAT(import_error(m), Catch::Contains("is not float32"));
  }
  {
    onnx::ModelProto m = exported();
    m.mutable_graph()->mutable_initializer(0)->set_data_location(onnx::TensorProto::EXTERNAL);
    CHECK_THAT(import_error(m), Catch::Contains("external file"));
  }
  {
    onnx::ModelProto m = exported();
    float nan = std::numeric_limits<float>::quiet_NaN();
    m.mutable_graph()->mutable_initializer(0)->mutable_raw_data()->replace(0, 4, reinterpret_cast<char*>(&nan), 4);
    CHECK_THAT(import_error(m), Catch::Contains("non-finite"));
  }
  {
    onnx::ModelProto m = exported();
    *m.mutable_graph()->add_input() = m.graph().input(0);
    m.mutable_graph()->mutable_input(1)->set_name("second");
    CHECK_THAT(import_error(m), Catch::Contains("more than one input"));
  }
  {
    onnx::ModelProto m = exported();  // a node hanging off the path
    onnx::NodeProto* s = m.mutable_graph()->add_node();
    s->set_op_type("Relu");
    s->set_name("stray");
    s->add_input("nowhere");
    s->add_output("stray_out");
    CHECK_THAT(import_error(m), Catch::Contains("node 'stray' (Relu): the node is not on the path"));
  }
  {
    onnx::ModelProto m = exported();  // a cycle: the first Conv reads its own later output
    onnx::NodeProto& conv = node_of(m, "Conv");
    const std::string later = m.graph().node(3).output(0);
    conv.set_input(0, later);
    CHECK(!import_error(m).empty());
  }
  {
    onnx::ModelProto m = exported();
    m.mutable_opset_import(0)->set_domain("com.example");
    CHECK_THAT(import_error(m), Catch::Contains("operator set 'com.example'"));
  }
  {
    onnx::ModelProto m = exported(kAllLayers, Shape{3, 8, 8}, 5);  // an Add with a second input from nowhere
    onnx::NodeProto& add = node_of(m, "Add");
    add.set_input(1, m.graph().input(0).name());
    CHECK(!import_error(m).empty());
  }
  {
    onnx::ModelProto m = exported();
    auto* meta = m.add_metadata_props();
    meta->set_key(onnx_meta::kData);
    meta->set_value("[unclosed");
    CHECK_THAT(import_error(m), Catch::Contains("nullmark.data"));
  }
}
