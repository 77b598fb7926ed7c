#include <algorithm>
#include <vector>

#include "common/error.h"
#include "kernels/cuda/runtime.h"
#include "kernels/elementwise.h"
#include "kernels/relu.h"
#include "nn/layer_chain.h"
#include "nn/layers/factories.h"

namespace nullmark::layers {

namespace {
// y = act(body(x) + shortcut(x)), the shortcut being the identity when it has no layers. Parameters
// are the body's then the shortcut's; the chains' activations, the gradient of the sum and the
// shortcut's input gradient are the block's inner part of the network's activation arenas.
class Residual : public Layer {
 public:
  Residual(LayerChain body, LayerChain shortcut, bool relu)
      : body_(std::move(body)), shortcut_(std::move(shortcut)), relu_(relu) {}
  std::string type() const override { return relu_ ? "residual+relu" : "residual"; }
  YAML::Node config() const override {
    YAML::Node c = layer_config("residual");
    c["body"] = body_.config();
    if (!shortcut_.empty()) c["shortcut"] = shortcut_.config();
    c["activation"] = relu_ ? "relu" : "none";
    return c;
  }
  std::vector<const LayerChain*> chains() const override { return {&body_, &shortcut_}; }
  std::string describe() const override {
    return std::to_string(body_.size()) + " + " + (shortcut_.empty() ? "id" : std::to_string(shortcut_.size()));
  }
  size_t param_count() const override { return body_.param_count() + shortcut_.param_count(); }
  size_t buffer_count() const override { return body_.buffer_count() + shortcut_.buffer_count(); }
  std::vector<ParamSlice> param_slices() const override {
    std::vector<ParamSlice> out = body_.param_slices();
    for (ParamSlice p : shortcut_.param_slices()) {
      p.offset += body_.param_count();
      out.push_back(p);
    }
    return out;
  }
  void init_params(std::mt19937_64& rng) override {
    body_.init_params(rng);
    shortcut_.init_params(rng);
  }
  void init_buffers() override {
    body_.init_buffers();
    shortcut_.init_buffers();
  }
  void set_default_impl(KernelImpl impl) override {
    body_.set_default_impl(impl);
    shortcut_.set_default_impl(impl);
  }
  void set_default_cpu_algorithm(ConvAlgorithm algorithm) override {
    body_.set_default_cpu_algorithm(algorithm);
    shortcut_.set_default_cpu_algorithm(algorithm);
  }
  void hold_statistics(bool held) override {
    body_.hold_statistics(held);
    shortcut_.hold_statistics(held);
  }
  size_t workspace_floats(int batch) const override {
    return std::max(body_.workspace_floats(batch), shortcut_.workspace_floats(batch));
  }
  double flops() const override { return body_.flops() + shortcut_.flops() + static_cast<double>(out_.numel()); }
  // Per sample, in each arena: the body's part, the shortcut's, then one scratch slot (the sum's
  // gradient in the activation arena, the shortcut's dx in the gradient arena).
  size_t inner_floats_per_sample() const override { return chains_floats() + std::max(out_.numel(), in_.numel()); }
  void place_inner(float* acts, float* dacts, int capacity) override {
    const size_t cap = static_cast<size_t>(capacity), body = body_.arena_floats_per_sample() * cap;
    body_.place(acts, dacts, capacity);
    shortcut_.place(acts + body, dacts + body, capacity);
    sum_grad_ = acts + chains_floats() * cap;
    shortcut_dx_ = dacts + chains_floats() * cap;
  }

 protected:
  Shape infer(const Shape& in) override {
    Shape b, s;
    try {
      b = body_.build(in);
    } catch (const Error& e) {
      throw fail("body: ", e.what());
    }
    try {
      s = shortcut_.build(in);
    } catch (const Error& e) {
      throw fail("shortcut: ", e.what());
    }
    NM_CHECK(b == s, "residual: the body outputs ", b.str(), " but the shortcut ", s.str(),
             shortcut_.empty() ? " (identity; add a shortcut, e.g. a strided 1x1 conv2d, to change the shape)" : "");
    return b;
  }
  void bound() override {
    const size_t bp = body_.param_count(), bb = body_.buffer_count();
    body_.bind(params_, grads_, buffers_);
    shortcut_.bind(params_ ? params_ + bp : nullptr, grads_ ? grads_ + bp : nullptr,
                   buffers_ ? buffers_ + bb : nullptr);
  }
  void do_forward(const Tensor& x, Tensor& y, const LayerContext& ctx) override {
    const Tensor b = body_.forward(x, ctx);
    const Tensor s = shortcut_.empty() ? x : shortcut_.forward(x, ctx);
    const size_t n = y.numel();
    if (on_gpu())
      NM_GPU(cuda::add(gpu(), n, b.data, s.data, y.data, relu_));
    else
      cpu::add(n, b.data, s.data, y.data, relu_);
  }
  void do_backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx, GradMode mode,
                   const LayerContext& ctx) override {
    NM_CHECK(mode == GradMode::Overwrite, "residual blocks only overwrite their gradients");
    Tensor g = dy;
    if (relu_) {  // gradient of the sum, through the final activation
      if (on_gpu())
        NM_GPU(cuda::relu_backward(gpu(), dy.numel(), y.data, dy.data, sum_grad_, GradMode::Overwrite));
      else
        cpu::relu_backward(dy.numel(), y.data, dy.data, sum_grad_, GradMode::Overwrite);
      g.data = sum_grad_;
    }
    Tensor shortcut_dx{nullptr, x.n, in_, device_};
    if (!shortcut_.empty()) {
      if (dx) shortcut_dx.data = shortcut_dx_;
      shortcut_.backward(x, g, dx ? &shortcut_dx : nullptr, ctx);
    }
    body_.backward(x, g, dx, ctx);
    if (!dx) return;
    const float* add = shortcut_.empty() ? g.data : shortcut_dx.data;
    if (on_gpu())
      NM_GPU(cuda::accumulate(gpu(), dx->numel(), add, dx->data));
    else
      cpu::accumulate(dx->numel(), add, dx->data);
  }

 private:
  size_t chains_floats() const { return body_.arena_floats_per_sample() + shortcut_.arena_floats_per_sample(); }
  void moved() override {
    body_.to(device_, gpu_);
    shortcut_.to(device_, gpu_);
    sum_grad_ = shortcut_dx_ = nullptr;
  }

  LayerChain body_, shortcut_;
  bool relu_;
  float* sum_grad_ = nullptr;     // in the activation arena (placed by place_inner)
  float* shortcut_dx_ = nullptr;  // in the activation-gradient arena
};

LayerChain chain_of(ConfigMap& cfg, const char* key, const LayerRegistry& registry) {
  std::vector<std::unique_ptr<Layer>> layers;
  if (cfg.has(key))
    for (ConfigMap& l : cfg.list(key)) layers.push_back(registry.create(l));
  return LayerChain(std::move(layers));
}
}  // namespace

std::unique_ptr<Layer> make_residual(ConfigMap& cfg, const LayerRegistry& registry) {
  LayerChain body = chain_of(cfg, "body", registry);
  if (body.empty()) cfg.error("body", "a residual block needs at least one layer in its body");
  LayerChain shortcut = chain_of(cfg, "shortcut", registry);
  const bool relu = cfg.choice("activation", "relu", {"none", "relu"}) == "relu";
  return std::make_unique<Residual>(std::move(body), std::move(shortcut), relu);
}

}  // namespace nullmark::layers
