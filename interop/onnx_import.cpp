#include "interop/onnx_import.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <set>

#include "common/error.h"
#include "common/format.h"
#include "interop/onnx_export.h"
#include "nn/network.h"
#include "nn/registry.h"

namespace nullmark {

bool is_checkpoint_bytes(const std::string& bytes) { return bytes.compare(0, 8, "NULLMARK") == 0; }

namespace {

// A converted run of layers: their `layers:` entries, parameters and buffers in nullmark's order.
struct Chain {
  YAML::Node layers{YAML::NodeType::Sequence};
  std::vector<float> params, buffers;
  Shape out;
  void append(const YAML::Node& layer, const std::vector<float>& p, const std::vector<float>& b, const Shape& s) {
    layers.push_back(layer);
    params.insert(params.end(), p.begin(), p.end());
    buffers.insert(buffers.end(), b.begin(), b.end());
    out = s;
  }
  void append_chain(const Chain& rest) {
    for (const YAML::Node& l : rest.layers) layers.push_back(l);
    params.insert(params.end(), rest.params.begin(), rest.params.end());
    buffers.insert(buffers.end(), rest.buffers.begin(), rest.buffers.end());
    out = rest.out;
  }
};

class Importer {
 public:
  Importer(const onnx::GraphProto& g, std::string path) : g_(g), path_(std::move(path)) {}

  Checkpoint run() {
    for (const onnx::TensorProto& t : g_.initializer()) {
      NM_CHECK(!t.name().empty(), where(), "an initializer has no name");
      constants_[t.name()] = &t;
    }
    for (int i = 0; i < g_.node_size(); ++i) {
      const onnx::NodeProto& n = g_.node(i);
      if (n.op_type() == "Constant") {
        NM_CHECK(n.output_size() == 1 && n.attribute_size() == 1 && n.attribute(0).name() == "value" &&
                     n.attribute(0).has_t(),
                 where(n), "only Constant nodes with a `value` tensor are supported");
        constants_[n.output(0)] = &n.attribute(0).t();
        visited_.insert(i);
        continue;
      }
      for (const std::string& in : n.input())
        if (!in.empty() && !constants_.count(in)) consumers_[in].push_back(i);
    }
    const onnx::ValueInfoProto* input = nullptr;
    for (const onnx::ValueInfoProto& v : g_.input()) {
      if (constants_.count(v.name())) continue;  // older exporters list initializers as inputs too
      NM_CHECK(!input, where(), "the graph has more than one input ('", input ? input->name() : "", "', '", v.name(),
               "'); nullmark models take one image batch");
      input = &v;
    }
    NM_CHECK(input, where(), "the graph has no input");
    NM_CHECK(g_.output_size() == 1, where(), "the graph has ", g_.output_size(), " outputs; nullmark models have one (the logits)");
    output_ = g_.output(0).name();

    const Shape in_shape = input_shape(*input);
    auto [chain, end] = walk(input->name(), in_shape, nullptr);
    NM_CHECK(end == output_, where(), "the path from the input ends at '", end, "', not at the graph output '", output_, "'");
    for (int i = 0; i < g_.node_size(); ++i)
      NM_CHECK(visited_.count(i), where(g_.node(i)), "the node is not on the path from the input to the output");
    NM_CHECK(chain.out.rank() == 1, where(), "the output has shape ", chain.out.str(), "; expected flat logits");

    YAML::Node model;
    model["name"] = "onnx";
    model["layers"] = chain.layers;
    Checkpoint ck;
    ck.input_shape = in_shape.dims;
    ck.classes = chain.out[0];
    YAML::Node config;
    config["model"] = model;
    ck.params = std::move(chain.params);
    ck.buffers = std::move(chain.buffers);
    // The checkpoint must build: the same registry that trains the model checks the converted config.
    Network net = Network::from_config(ConfigMap(model, path_, "model", YAML::Node()), in_shape, ck.classes);
    NM_CHECK(net.param_count() == ck.params.size() && net.buffer_count() == ck.buffers.size(), where(),
             "internal: converted ", ck.params.size(), " parameters, the model has ", net.param_count());
    ck.config_yaml = YAML::Dump(config);
    return ck;
  }

 private:
  // "PATH: node NAME (OP): " for messages.
  std::string where(const onnx::NodeProto& n) const {
    return path_ + ": node '" + n.name() + "' (" + n.op_type() + "): ";
  }
  std::string where() const { return path_ + ": "; }

  Shape input_shape(const onnx::ValueInfoProto& v) const {
    NM_CHECK(v.type().has_tensor_type(), where(), "input '", v.name(), "' is not a tensor");
    const auto& t = v.type().tensor_type();
    NM_CHECK(t.elem_type() == onnx::TensorProto::FLOAT, where(), "input '", v.name(), "' is not float32");
    const auto& dims = t.shape().dim();
    NM_CHECK(dims.size() == 4 || dims.size() == 2, where(), "input '", v.name(), "' has rank ", dims.size(),
             "; expected [batch, C, H, W] or [batch, features]");
    std::vector<int> out;
    for (int i = 1; i < dims.size(); ++i) {
      NM_CHECK(dims[i].has_dim_value() && dims[i].dim_value() > 0 && dims[i].dim_value() <= (1 << 20), where(),
               "input '", v.name(), "' dimension ", i, " is not a fixed size up to 2^20");
      out.push_back(static_cast<int>(dims[i].dim_value()));
    }
    const Shape s(out);
    NM_CHECK(s.numel() <= (size_t{1} << 26), where(), "input '", v.name(), "' of ", s.str(),
             " has more than 2^26 values per sample");
    return s;
  }

  const onnx::TensorProto& constant(const onnx::NodeProto& n, int input) const {
    NM_CHECK(input < n.input_size() && !n.input(input).empty(), where(n), "input ", input, " is missing");
    auto it = constants_.find(n.input(input));
    NM_CHECK(it != constants_.end(), where(n), "input '", n.input(input), "' must be a constant (an initializer)");
    return *it->second;
  }

  static size_t numel(const onnx::TensorProto& t) {
    size_t n = 1;
    for (int64_t d : t.dims()) {
      if (d < 0 || d > (int64_t{1} << 31)) return std::numeric_limits<size_t>::max();
      n *= static_cast<size_t>(d);
      if (n > (size_t{1} << 31)) return std::numeric_limits<size_t>::max();
    }
    return n;
  }

  std::vector<float> floats(const onnx::NodeProto& n, int input, const std::vector<int64_t>& expect) const {
    const onnx::TensorProto& t = constant(n, input);
    const std::string& name = t.name().empty() ? n.input(input) : t.name();
    NM_CHECK(t.data_type() == onnx::TensorProto::FLOAT, where(n), "tensor '", name, "' is not float32 (data type ",
             t.data_type(), ")");
    NM_CHECK(t.data_location() != onnx::TensorProto::EXTERNAL, where(n), "tensor '", name,
             "' keeps its data in an external file; save the model with its data inside");
    const size_t count = numel(t);
    size_t want = 1;
    for (int64_t d : expect) want *= static_cast<size_t>(d);
    NM_CHECK(count == want, where(n), "tensor '", name, "' has ", count == std::numeric_limits<size_t>::max() ? 0 : count,
             " values; expected ", want, dims_str(expect));
    std::vector<float> v(count);
    if (t.has_raw_data()) {
      NM_CHECK(t.raw_data().size() == count * sizeof(float), where(n), "tensor '", name, "' holds ",
               t.raw_data().size(), " bytes of data for ", count, " float32 values");
      std::memcpy(v.data(), t.raw_data().data(), count * sizeof(float));
    } else {
      NM_CHECK(static_cast<size_t>(t.float_data_size()) == count, where(n), "tensor '", name, "' holds ",
               t.float_data_size(), " values for ", count);
      std::copy(t.float_data().begin(), t.float_data().end(), v.begin());
    }
    for (float x : v) NM_CHECK(std::isfinite(x), where(n), "tensor '", name, "' holds a non-finite value");
    return v;
  }

  std::vector<int64_t> int64s(const onnx::NodeProto& n, int input) const {
    const onnx::TensorProto& t = constant(n, input);
    NM_CHECK(t.data_type() == onnx::TensorProto::INT64, where(n), "input '", n.input(input), "' is not int64");
    const size_t count = numel(t);
    NM_CHECK(count <= 8, where(n), "input '", n.input(input), "' has more than 8 entries");
    std::vector<int64_t> v(count);
    if (t.has_raw_data()) {
      NM_CHECK(t.raw_data().size() == count * sizeof(int64_t), where(n), "input '", n.input(input), "' is truncated");
      std::memcpy(v.data(), t.raw_data().data(), count * sizeof(int64_t));
    } else {
      NM_CHECK(static_cast<size_t>(t.int64_data_size()) == count, where(n), "input '", n.input(input), "' is truncated");
      std::copy(t.int64_data().begin(), t.int64_data().end(), v.begin());
    }
    return v;
  }

  static std::string dims_str(const std::vector<int64_t>& d) {
    std::string s = " [";
    for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
    return s + "]";
  }

  const onnx::AttributeProto* attribute(const onnx::NodeProto& n, const std::string& name) const {
    for (const onnx::AttributeProto& a : n.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  int64_t int_attr(const onnx::NodeProto& n, const std::string& name, int64_t def) const {
    const onnx::AttributeProto* a = attribute(n, name);
    if (!a) return def;
    NM_CHECK(a->type() == onnx::AttributeProto::INT, where(n), "attribute ", name, " is not an integer");
    return a->i();
  }
  float float_attr(const onnx::NodeProto& n, const std::string& name, float def) const {
    const onnx::AttributeProto* a = attribute(n, name);
    if (!a) return def;
    NM_CHECK(a->type() == onnx::AttributeProto::FLOAT && std::isfinite(a->f()), where(n), "attribute ", name,
             " is not a finite float");
    return a->f();
  }
  std::vector<int64_t> ints_attr(const onnx::NodeProto& n, const std::string& name) const {
    const onnx::AttributeProto* a = attribute(n, name);
    if (!a) return {};
    NM_CHECK(a->type() == onnx::AttributeProto::INTS, where(n), "attribute ", name, " is not a list of integers");
    return {a->ints().begin(), a->ints().end()};
  }
  // Every entry of attribute `name` equals `v` (an absent attribute passes).
  bool all_equal(const onnx::NodeProto& n, const std::string& name, int64_t v) const {
    for (int64_t x : ints_attr(n, name))
      if (x != v) return false;
    return true;
  }
  // One value for a square window attribute (kernel_shape, strides): [a, a] or absent (`def`).
  int64_t square(const onnx::NodeProto& n, const std::string& name, int64_t def) const {
    const std::vector<int64_t> v = ints_attr(n, name);
    if (v.empty()) return def;
    NM_CHECK(v.size() == 2 && v[0] == v[1] && v[0] >= 1 && v[0] <= 64, where(n), name,
             " must be two equal values from 1 to 64", dims_str(v));
    return v[0];
  }
  void no_auto_pad(const onnx::NodeProto& n) const {
    const onnx::AttributeProto* a = attribute(n, "auto_pad");
    NM_CHECK(!a || a->s() == "NOTSET", where(n), "auto_pad ", a ? a->s() : "", " is not supported (give pads)");
  }
  void one_output(const onnx::NodeProto& n) const {
    NM_CHECK(n.output_size() >= 1 && !n.output(0).empty(), where(n), "the node has no output");
    for (int i = 1; i < n.output_size(); ++i)
      NM_CHECK(n.output(i).empty() || !consumers_.count(n.output(i)), where(n), "output ", i,
               " is used; only the first output is supported");
  }

  // Output shape of a layer built from `config` on input `in` (the layer's own shape rules).
  Shape built(const onnx::NodeProto& n, const YAML::Node& config, const Shape& in) const {
    try {
      ConfigMap cfg(config, path_, "layer", YAML::Node());
      return builtin_layers().create(cfg)->build(in);
    } catch (const Error& e) {
      throw fail(where(n), e.what());
    }
  }

  std::vector<int> consumers(const std::string& t) const {
    auto it = consumers_.find(t);
    return it == consumers_.end() ? std::vector<int>{} : it->second;
  }
  // The single consumer of t when it is a node of type `op`, else -1.
  int sole(const std::string& t, const char* op) const {
    const std::vector<int> c = consumers(t);
    return c.size() == 1 && g_.node(c[0]).op_type() == op && t != output_ ? c[0] : -1;
  }
  // A Relu right after node n is fused into its layer: returns the tensor after it.
  std::string fuse_relu(const std::string& y, YAML::Node& layer) {
    const int r = sole(y, "Relu");
    if (r < 0) return y;
    layer["activation"] = "relu";
    visited_.insert(r);
    one_output(g_.node(r));
    return g_.node(r).output(0);
  }

  // Converts node i (reading the chain's current tensor); appends its layer, returns its output tensor.
  std::string convert(int i, Chain& c) {
    const onnx::NodeProto& n = g_.node(i);
    visited_.insert(i);
    one_output(n);
    const std::string& op = n.op_type();
    const Shape in = c.out;
    YAML::Node l;
    std::string y = n.output(0);
    std::vector<float> p, b;
    if (op == "Conv") {
      NM_CHECK(in.rank() == 3, where(n), "needs a CxHxW input, got ", in.str());
      NM_CHECK(int_attr(n, "group", 1) == 1, where(n), "grouped convolution is not supported");
      NM_CHECK(all_equal(n, "dilations", 1), where(n), "dilated convolution is not supported");
      no_auto_pad(n);
      const onnx::TensorProto& wt = constant(n, 1);
      NM_CHECK(wt.dims_size() == 4, where(n), "the weight must be [F, C, K, K]");
      const int64_t f = wt.dims(0), k = wt.dims(2);
      NM_CHECK(f >= 1 && f <= 65536 && wt.dims(3) == k && k >= 1 && k <= 64 && wt.dims(1) == in[0], where(n),
               "the weight", dims_str({wt.dims().begin(), wt.dims().end()}), " does not fit an input of ",
               in.str(), " (square kernels only)");
      NM_CHECK(square(n, "kernel_shape", k) == k, where(n), "kernel_shape does not match the weight");
      const std::vector<int64_t> pads = ints_attr(n, "pads");
      NM_CHECK(pads.empty() || (pads.size() == 4 && pads[0] == pads[1] && pads[0] == pads[2] && pads[0] == pads[3] &&
                                pads[0] >= 0 && pads[0] <= 64),
               where(n), "pads must be four equal values from 0 to 64");
      l["type"] = "conv2d";
      l["filters"] = f;
      l["kernel"] = k;
      l["stride"] = square(n, "strides", 1);
      l["padding"] = pads.empty() ? 0 : pads[0];
      const bool bias = n.input_size() > 2 && !n.input(2).empty();
      l["bias"] = bias;
      p = floats(n, 1, {f, in[0], k, k});
      if (bias) {
        const std::vector<float> bv = floats(n, 2, {f});
        p.insert(p.end(), bv.begin(), bv.end());
      }
      y = fuse_relu(y, l);
    } else if (op == "Gemm" || op == "MatMul") {
      NM_CHECK(in.rank() == 1, where(n), "needs a flat input (Flatten before it), got ", in.str());
      const onnx::TensorProto& wt = constant(n, 1);
      NM_CHECK(wt.dims_size() == 2, where(n), "the weight must be a matrix");
      bool trans = false;
      if (op == "Gemm") {
        NM_CHECK(int_attr(n, "transA", 0) == 0 && float_attr(n, "alpha", 1.0f) == 1.0f &&
                     float_attr(n, "beta", 1.0f) == 1.0f,
                 where(n), "only alpha = beta = 1 and transA = 0 are supported");
        trans = int_attr(n, "transB", 0) != 0;
      }
      const int64_t o = trans ? wt.dims(0) : wt.dims(1), i_dim = trans ? wt.dims(1) : wt.dims(0);
      NM_CHECK(i_dim == in[0] && o >= 1 && o <= (1 << 20), where(n), "the weight",
               dims_str({wt.dims().begin(), wt.dims().end()}), " does not fit ", in[0], " inputs");
      const std::vector<float> w = floats(n, 1, {wt.dims(0), wt.dims(1)});
      p.resize(w.size());
      if (trans) {
        p = w;  // already [out, in], nullmark's (and PyTorch's) layout
      } else {
        for (int64_t r = 0; r < i_dim; ++r)
          for (int64_t col = 0; col < o; ++col) p[col * i_dim + r] = w[r * o + col];
      }
      std::vector<float> bias;
      if (op == "Gemm" && n.input_size() > 2 && !n.input(2).empty()) bias = floats(n, 2, {o});
      if (op == "MatMul") {  // PyTorch's Linear without Gemm: MatMul then Add of the bias
        const int a = sole(y, "Add");
        if (a >= 0) {
          const onnx::NodeProto& add = g_.node(a);
          const int ci = add.input(0) == y ? 1 : 0;
          if (add.input_size() == 2 && constants_.count(add.input(ci))) {
            visited_.insert(a);
            one_output(add);
            bias = floats(add, ci, {o});
            y = add.output(0);
          }
        }
      }
      p.insert(p.end(), bias.begin(), bias.end());
      l["type"] = "dense";
      l["units"] = o;
      l["bias"] = !bias.empty();
      y = fuse_relu(y, l);
    } else if (op == "BatchNormalization") {
      NM_CHECK(int_attr(n, "training_mode", 0) == 0, where(n), "training_mode must be 0 (export in eval mode)");
      NM_CHECK(in.rank() == 3 || in.rank() == 1, where(n), "needs a CxHxW or flat input, got ", in.str());
      const int64_t ch = in[0];
      const float eps = float_attr(n, "epsilon", 1e-5f), momentum = float_attr(n, "momentum", 0.9f);
      NM_CHECK(eps > 0 && eps <= 1 && momentum >= 0 && momentum <= 1, where(n), "epsilon or momentum out of range");
      l["type"] = "batchnorm";
      // Decimals, as a config would give them (float 1e-5 is 1e-5, not 1.0000000000000001e-05);
      // ONNX's momentum weighs the old statistics, nullmark's the new batch.
      l["eps"] = float_decimal(eps);
      l["momentum"] = float_decimal(static_cast<float>(1.0 - float_decimal(momentum)));
      p = floats(n, 1, {ch});
      const std::vector<float> beta = floats(n, 2, {ch});
      p.insert(p.end(), beta.begin(), beta.end());
      b = floats(n, 3, {ch});
      const std::vector<float> var = floats(n, 4, {ch});
      for (float v : var) NM_CHECK(v >= 0, where(n), "a running variance is negative");
      b.insert(b.end(), var.begin(), var.end());
      y = fuse_relu(y, l);
    } else if (op == "Relu") {
      l["type"] = "relu";
    } else if (op == "LeakyRelu") {
      const float alpha = float_attr(n, "alpha", 0.01f);
      NM_CHECK(alpha >= 0 && alpha < 1, where(n), "alpha must be in [0, 1)");
      l["type"] = "leaky_relu";
      l["slope"] = float_decimal(alpha);
    } else if (op == "MaxPool") {
      NM_CHECK(all_equal(n, "pads", 0) && int_attr(n, "ceil_mode", 0) == 0 && all_equal(n, "dilations", 1) &&
                   int_attr(n, "storage_order", 0) == 0,
               where(n), "only unpadded, undilated, floor-mode pooling is supported");
      no_auto_pad(n);
      const std::vector<int64_t> ks = ints_attr(n, "kernel_shape");
      NM_CHECK(!ks.empty(), where(n), "kernel_shape is missing");
      const int64_t k = square(n, "kernel_shape", 1);
      l["type"] = "maxpool2d";
      l["size"] = k;
      l["stride"] = square(n, "strides", 1);
    } else if (op == "GlobalAveragePool" || op == "AveragePool") {
      NM_CHECK(in.rank() == 3, where(n), "needs a CxHxW input, got ", in.str());
      if (op == "AveragePool") {
        no_auto_pad(n);
        const std::vector<int64_t> ks = ints_attr(n, "kernel_shape");
        NM_CHECK(ks.size() == 2 && ks[0] == in[1] && ks[1] == in[2] && all_equal(n, "pads", 0), where(n),
                 "only pooling over the whole ", in[1], "x", in[2], " input is supported (nullmark has global "
                 "average pooling, not windowed)");
      }
      l["type"] = "global_avgpool";
      // nullmark's output is already flat: a Flatten or Reshape right after it is absorbed.
      for (const char* flat : {"Flatten", "Reshape"}) {
        const int f = sole(y, flat);
        if (f >= 0) {
          visited_.insert(f);
          one_output(g_.node(f));
          y = g_.node(f).output(0);
          break;
        }
      }
    } else if (op == "Flatten" || op == "Reshape") {
      if (op == "Flatten") {
        NM_CHECK(int_attr(n, "axis", 1) == 1, where(n), "only axis 1 (flatten each sample) is supported");
      } else {
        const std::vector<int64_t> s = int64s(n, 1);
        const int64_t total = static_cast<int64_t>(in.numel());
        NM_CHECK(s.size() == 2 && (s[1] == -1 || s[1] == total) && (s[0] >= -1) && !(s[0] == -1 && s[1] == -1),
                 where(n), "only a reshape to [batch, ", total, "] (flattening each sample) is supported");
      }
      if (in.rank() == 1) return y;  // already flat
      l["type"] = "flatten";
    } else if (op == "Dropout") {
      double ratio = 0.5;
      if (n.input_size() > 1 && !n.input(1).empty()) ratio = float_decimal(floats(n, 1, {})[0]);
      if (n.input_size() > 2 && !n.input(2).empty()) {
        const onnx::TensorProto& t = constant(n, 2);
        NM_CHECK(t.data_type() == onnx::TensorProto::BOOL && (t.raw_data() == std::string(1, '\0') ||
                                                              (t.int32_data_size() == 1 && t.int32_data(0) == 0)),
                 where(n), "training_mode must be false");
      }
      NM_CHECK(ratio >= 0 && ratio <= 0.99, where(n), "ratio must be in [0, 0.99]");
      l["type"] = "dropout";
      l["p"] = ratio;
    } else if (op == "Identity") {
      return y;
    } else if (op == "Add") {
      throw fail(where(n), "an Add that does not join the two branches of a residual block is not supported");
    } else {
      throw fail(where(n), "operator '", op, "' is not supported (supported: Conv, Gemm, MatMul+Add, Relu, LeakyRelu, "
                 "MaxPool, AveragePool, GlobalAveragePool, BatchNormalization, Add, Flatten, Reshape, Dropout, Identity)");
    }
    c.append(l, p, b, built(n, l, in));
    return y;
  }

  // Converts from tensor t (of shape in) until the graph output, or, inside a residual branch, until
  // the Add joining it (returned as `join`). Returns the chain and the tensor it ends at.
  std::pair<Chain, std::string> walk(std::string t, const Shape& in, int* join) {
    Chain c;
    c.out = in;
    for (int guard = 0;; ++guard) {
      NM_CHECK(guard <= g_.node_size(), where(), "the graph has a cycle");
      const std::vector<int> cons = consumers(t);
      if (t == output_) {
        NM_CHECK(cons.empty(), where(), "the output '", t, "' is also used inside the graph");
        NM_CHECK(!join, where(), "a residual branch reaches the graph output without joining");
        return {c, t};
      }
      NM_CHECK(!cons.empty(), where(), "tensor '", t, "' is used by no node and is not the output");
      if (cons.size() == 1 && g_.node(cons[0]).op_type() == "Add") {
        NM_CHECK(join, where(g_.node(cons[0])), "an Add that does not join the two branches of a residual block is not supported");
        *join = cons[0];
        return {c, t};
      }
      if (cons.size() == 1) {
        NM_CHECK(!visited_.count(cons[0]), where(g_.node(cons[0])), "the node is reached twice");
        t = convert(cons[0], c);
        continue;
      }
      t = residual(t, cons, c);
    }
  }

  // A fork at tensor t: two branches (one may be t itself, an identity shortcut) joined by an Add.
  std::string residual(const std::string& t, const std::vector<int>& cons, Chain& c) {
    NM_CHECK(cons.size() == 2, where(g_.node(cons[0])), "tensor '", t, "' feeds ", cons.size(),
             " nodes; only two-branch residual blocks are supported");
    Chain branch[2];
    int joins[2] = {-1, -1};
    for (int k = 0; k < 2; ++k) {
      const onnx::NodeProto& first = g_.node(cons[k]);
      if (first.op_type() == "Add") {  // identity shortcut
        joins[k] = cons[k];
        branch[k].out = c.out;
        continue;
      }
      NM_CHECK(!visited_.count(cons[k]), where(first), "the node is reached twice");
      Chain start;
      start.out = c.out;
      const std::string after = convert(cons[k], start);
      auto [rest, end] = walk(after, start.out, &joins[k]);
      start.append_chain(rest);
      branch[k] = start;
      (void)end;
    }
    NM_CHECK(joins[0] == joins[1], where(g_.node(cons[0])), "the branches from '", t, "' do not meet at one Add");
    const onnx::NodeProto& add = g_.node(joins[0]);
    visited_.insert(joins[0]);
    one_output(add);
    NM_CHECK(add.input_size() == 2, where(add), "a residual Add takes two inputs");
    // The longer branch is the body; an empty one is the identity shortcut.
    const int body = branch[0].layers.size() >= branch[1].layers.size() ? 0 : 1;
    const Chain& b = branch[body];
    const Chain& s = branch[1 - body];
    NM_CHECK(b.out == s.out, where(add), "the branches give shapes ", b.out.str(), " and ", s.out.str());
    YAML::Node l;
    l["type"] = "residual";
    l["body"] = b.layers;
    if (s.layers.size() > 0) l["shortcut"] = s.layers;
    l["activation"] = "none";
    std::string y = add.output(0);
    y = fuse_relu(y, l);
    std::vector<float> p = b.params, buf = b.buffers;
    p.insert(p.end(), s.params.begin(), s.params.end());
    buf.insert(buf.end(), s.buffers.begin(), s.buffers.end());
    c.append(l, p, buf, built(add, l, c.out));
    return y;
  }

  const onnx::GraphProto& g_;
  std::string path_;
  std::string output_;
  std::map<std::string, const onnx::TensorProto*> constants_;
  std::map<std::string, std::vector<int>> consumers_;
  std::set<int> visited_;
};

}  // namespace

Checkpoint onnx_import(const std::string& bytes, const std::string& path) {
  onnx::ModelProto m;
  NM_CHECK(m.ParseFromString(bytes), path, ": not an ONNX model (the protobuf does not parse)");
  NM_CHECK(m.has_graph(), path, ": the ONNX model has no graph");
  for (const onnx::OperatorSetIdProto& o : m.opset_import())
    NM_CHECK(o.domain().empty() || o.domain() == "ai.onnx", path, ": operator set '", o.domain(),
             "' is not supported (only the standard ai.onnx operators)");
  Checkpoint ck = Importer(m.graph(), path).run();
  YAML::Node config = YAML::Load(ck.config_yaml);
  for (const onnx::StringStringEntryProto& e : m.metadata_props()) {
    if (e.key() == onnx_meta::kData) {
      try {
        config["data"] = YAML::Load(e.value());
      } catch (const YAML::Exception& ex) {
        throw fail(path, ": metadata ", onnx_meta::kData, " is not YAML: ", ex.what());
      }
      NM_CHECK(config["data"].IsMap(), path, ": metadata ", onnx_meta::kData, " is not a map");
    } else if (e.key() == onnx_meta::kModel) {
      config["model"]["name"] = e.value();
    }
  }
  ck.config_yaml = YAML::Dump(config);
  ck.extra["source"] = "onnx";
  return ck;
}

}  // namespace nullmark
