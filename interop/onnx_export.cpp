#include "interop/onnx_export.h"

#include <onnx/onnx_pb.h>

#include "common/error.h"
#include "nn/layer_chain.h"
#include "nn/network.h"

namespace nullmark {

namespace {
constexpr int kOpset = 13;  // Dropout's ratio as an input, the operator set ONNX Runtime and PyTorch both speak

class GraphWriter {
 public:
  explicit GraphWriter(onnx::GraphProto* g) : g_(g) {}

  std::string fresh(const std::string& base) { return base + "_" + std::to_string(counter_++); }

  std::string initializer(const std::string& base, const std::vector<int64_t>& dims, const float* data) {
    const std::string name = fresh(base);
    onnx::TensorProto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    size_t n = 1;
    for (int64_t d : dims) t->add_dims(d), n *= static_cast<size_t>(d);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(data), n * sizeof(float)));  // little-endian hosts
    return name;
  }

  // Adds a node; returns its (single) output's name.
  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& inputs) {
    onnx::NodeProto* n = g_->add_node();
    n->set_op_type(op);
    n->set_name(fresh(op));
    for (const auto& i : inputs) n->add_input(i);
    n->add_output(n->name() + "_out");
    return n;
  }
  std::string unary(const std::string& op, const std::string& x) { return node(op, {x})->output(0); }

  static void ints(onnx::NodeProto* n, const char* name, const std::vector<int64_t>& v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void integer(onnx::NodeProto* n, const char* name, int64_t v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void real(onnx::NodeProto* n, const char* name, float v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }

 private:
  onnx::GraphProto* g_;
  int counter_ = 0;
};

std::string emit_chain(GraphWriter& w, const LayerChain& chain, const float* params, const float* buffers,
                       std::string x);

// Emits one layer reading tensor x; returns the name of its output.
std::string emit_layer(GraphWriter& w, const Layer& l, const float* p, const float* b, const std::string& x) {
  const YAML::Node c = l.config();
  const std::string type = c["type"].as<std::string>();
  const Shape& in = l.input_shape();
  const bool relu = c["activation"] && c["activation"].as<std::string>() == "relu";
  std::string y;
  if (type == "conv2d") {
    const int64_t f = c["filters"].as<int>(), k = c["kernel"].as<int>(), s = c["stride"].as<int>(),
                  pad = c["padding"].as<int>();
    std::vector<std::string> inputs{x, w.initializer("conv_w", {f, in[0], k, k}, p)};
    if (c["bias"].as<bool>()) inputs.push_back(w.initializer("conv_b", {f}, p + f * in[0] * k * k));
    onnx::NodeProto* n = w.node("Conv", inputs);
    GraphWriter::ints(n, "kernel_shape", {k, k});
    GraphWriter::ints(n, "strides", {s, s});
    GraphWriter::ints(n, "pads", {pad, pad, pad, pad});
    y = n->output(0);
  } else if (type == "dense") {
    const int64_t o = c["units"].as<int>(), i = in[0];
    std::vector<std::string> inputs{x, w.initializer("dense_w", {o, i}, p)};
    if (c["bias"].as<bool>()) inputs.push_back(w.initializer("dense_b", {o}, p + o * i));
    onnx::NodeProto* n = w.node("Gemm", inputs);
    GraphWriter::integer(n, "transB", 1);
    y = n->output(0);
  } else if (type == "batchnorm") {
    const int64_t ch = in[0];
    onnx::NodeProto* n = w.node("BatchNormalization", {x, w.initializer("bn_scale", {ch}, p),
                                                       w.initializer("bn_bias", {ch}, p + ch),
                                                       w.initializer("bn_mean", {ch}, b),
                                                       w.initializer("bn_var", {ch}, b + ch)});
    GraphWriter::real(n, "epsilon", c["eps"].as<float>());
    // ONNX keeps `momentum` of the old statistics; nullmark's momentum weighs the new batch.
    GraphWriter::real(n, "momentum", 1.0f - c["momentum"].as<float>());
    y = n->output(0);
  } else if (type == "maxpool2d") {
    const int64_t k = c["size"].as<int>(), s = c["stride"].as<int>();
    onnx::NodeProto* n = w.node("MaxPool", {x});
    GraphWriter::ints(n, "kernel_shape", {k, k});
    GraphWriter::ints(n, "strides", {s, s});
    y = n->output(0);
  } else if (type == "global_avgpool") {
    onnx::NodeProto* n = w.node("Flatten", {w.unary("GlobalAveragePool", x)});  // nullmark's output is flat
    GraphWriter::integer(n, "axis", 1);
    y = n->output(0);
  } else if (type == "flatten") {
    onnx::NodeProto* n = w.node("Flatten", {x});
    GraphWriter::integer(n, "axis", 1);
    y = n->output(0);
  } else if (type == "dropout") {
    const float ratio = c["p"].as<float>();
    y = w.node("Dropout", {x, w.initializer("dropout_ratio", {}, &ratio)})->output(0);
  } else if (type == "relu") {
    y = w.unary("Relu", x);
  } else if (type == "leaky_relu") {
    onnx::NodeProto* n = w.node("LeakyRelu", {x});
    GraphWriter::real(n, "alpha", c["slope"].as<float>());
    y = n->output(0);
  } else if (type == "residual") {
    const std::vector<const LayerChain*> chains = l.chains();
    NM_CHECK(chains.size() == 2, "residual block without body and shortcut chains");
    const LayerChain& body = *chains[0];
    const LayerChain& shortcut = *chains[1];
    const std::string yb = emit_chain(w, body, p, b, x);
    const std::string ys =
        shortcut.empty() ? x : emit_chain(w, shortcut, p + body.param_count(), b + body.buffer_count(), x);
    y = w.node("Add", {yb, ys})->output(0);
  } else {
    throw fail("ONNX export: layer type '", type, "' has no ONNX form");
  }
  return relu ? w.unary("Relu", y) : y;
}

std::string emit_chain(GraphWriter& w, const LayerChain& chain, const float* params, const float* buffers,
                       std::string x) {
  for (size_t i = 0; i < chain.size(); ++i)
    x = emit_layer(w, chain.layer(i), params + chain.param_offset(i), buffers + chain.buffer_offset(i), x);
  return x;
}

void set_type(onnx::ValueInfoProto* v, const std::string& name, const std::vector<int64_t>& dims) {
  v->set_name(name);
  onnx::TypeProto_Tensor* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  onnx::TensorShapeProto_Dimension* batch = t->mutable_shape()->add_dim();
  batch->set_dim_param("batch");
  for (int64_t d : dims) t->mutable_shape()->add_dim()->set_dim_value(d);
}
}  // namespace

std::string onnx_export(const Network& net, const std::map<std::string, std::string>& metadata) {
  onnx::ModelProto m;
  m.set_ir_version(onnx::IR_VERSION);
  m.set_producer_name("nullmark");
  m.set_producer_version(NULLMARK_VERSION);
  onnx::OperatorSetIdProto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpset);
  for (const auto& [k, v] : metadata) {
    onnx::StringStringEntryProto* e = m.add_metadata_props();
    e->set_key(k);
    e->set_value(v);
  }
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("nullmark");
  std::vector<int64_t> in_dims;
  for (int d : net.input_shape().dims) in_dims.push_back(d);
  set_type(g->add_input(), "input", in_dims);

  const std::vector<float> params = net.host_params(), buffers = net.host_buffers();
  GraphWriter w(g);
  const std::string out = emit_chain(w, net.chain(), params.data(), buffers.data(), "input");
  NM_CHECK(out != "input", "ONNX export: the network has no layers");
  // The last node's output becomes the graph's "logits".
  for (onnx::NodeProto& n : *g->mutable_node())
    for (std::string& o : *n.mutable_output())
      if (o == out) o = "logits";
  for (onnx::NodeProto& n : *g->mutable_node())
    for (std::string& i : *n.mutable_input())
      if (i == out) i = "logits";
  set_type(g->add_output(), "logits", {static_cast<int64_t>(net.output_shape().numel())});

  std::string bytes;
  NM_CHECK(m.SerializeToString(&bytes), "ONNX export: the model does not serialise (over 2 GB?)");
  return bytes;
}

}  // namespace nullmark
