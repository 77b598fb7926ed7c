#include "nn/network.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>

#include "common/error.h"

namespace nullmark {

Network::Network(std::vector<std::unique_ptr<Layer>> layers, const Shape& input)
    : layers_(std::move(layers)), input_(input) {
  NM_CHECK(!layers_.empty(), "a network needs at least one layer");
  Shape s = input;
  size_t total = 0;
  for (size_t i = 0; i < layers_.size(); ++i) {
    try {
      s = layers_[i]->build(s);
    } catch (const Error& e) {
      throw fail("layer ", i, " (", layers_[i]->type(), "): ", e.what());
    }
    offsets_.push_back(total);
    total += layers_[i]->param_count();
    act_off_.push_back(act_per_sample_);
    act_per_sample_ += s.numel();
  }
  params_.assign(total, 0.0f);
  grads_.assign(total, 0.0f);
  for (size_t i = 0; i < layers_.size(); ++i)
    layers_[i]->bind(params_.data() + offsets_[i], grads_.data() + offsets_[i]);
}

Network Network::from_config(ConfigMap model, const Shape& input, int classes, const LayerRegistry& registry) {
  model.string("name", "unnamed");
  std::vector<std::unique_ptr<Layer>> layers;
  for (ConfigMap& l : model.list("layers")) layers.push_back(registry.create(l));
  model.finish();
  if (layers.empty()) model.error("layers", "the model has no layers");
  Network net(std::move(layers), input);
  if (net.output_shape() != Shape{classes})
    model.error("layers", "the last layer outputs " + net.output_shape().str() +
                              " values per sample but the data set has " + std::to_string(classes) + " classes");
  return net;
}

void Network::init_params(uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (auto& l : layers_) l->init_params(rng);
}

void Network::ensure_capacity(int n) {
  if (n <= cap_) return;
  // Arenas are laid out [layer][sample] with room for `cap_` samples per layer.
  cap_ = n;
  acts_.assign(act_per_sample_ * cap_, 0.0f);
  dacts_.assign(act_per_sample_ * cap_, 0.0f);
  size_t ws = 0;
  for (auto& l : layers_) ws = std::max(ws, l->workspace_floats(cap_));
  work_.assign(ws, 0.0f);
}

const float* Network::forward(const float* x, int n, const LayerContext& ctx_in) {
  NM_CHECK(n > 0, "forward: empty batch");
  ensure_capacity(n);
  LayerContext ctx = ctx_in;
  ctx.workspace = work_.data();
  Tensor in{const_cast<float*>(x), n, input_};
  for (size_t i = 0; i < layers_.size(); ++i) {
    Tensor out = act(i, n);
    const auto t0 = std::chrono::steady_clock::now();
    layers_[i]->forward(in, out, ctx);
    if (profiling_) fwd_s_[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    in = out;
  }
  if (profiling_) ++profiled_steps_;
  last_n_ = n;
  last_x_ = x;
  return in.data;
}

void Network::run_backward(const float* dlogits, const LayerContext& ctx_in, float* dx_input) {
  NM_CHECK(last_x_ != nullptr, "backward called before forward");
  const int n = last_n_;
  LayerContext ctx = ctx_in;
  ctx.workspace = work_.data();
  const size_t last = layers_.size() - 1;
  Tensor dy = grad(last, n);
  std::copy(dlogits, dlogits + dy.numel(), dy.data);
  for (size_t i = layers_.size(); i-- > 0;) {
    Tensor x = i ? act(i - 1, n) : Tensor{const_cast<float*>(last_x_), n, input_};
    Tensor dx = i ? grad(i - 1, n) : Tensor{dx_input, n, input_};
    const auto t0 = std::chrono::steady_clock::now();
    layers_[i]->backward(x, act(i, n), grad(i, n), (i || dx_input) ? &dx : nullptr, GradMode::Overwrite, ctx);
    if (profiling_) bwd_s_[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
}

void Network::backward(const float* dlogits, const LayerContext& ctx) { run_backward(dlogits, ctx, nullptr); }

void Network::backward_to_input(const float* dlogits, const LayerContext& ctx, float* dx) {
  NM_CHECK(dx != nullptr, "backward_to_input needs an output buffer");
  run_backward(dlogits, ctx, dx);
}

void Network::set_profiling(bool on) {
  profiling_ = on;
  fwd_s_.assign(layers_.size(), 0.0);
  bwd_s_.assign(layers_.size(), 0.0);
  profiled_steps_ = 0;
}

std::string Network::profile_report() const {
  std::ostringstream s;
  char line[128];
  const double steps = profiled_steps_ ? static_cast<double>(profiled_steps_) : 1.0;
  std::snprintf(line, sizeof line, "  %-3s %-10s %12s %12s   (ms per forward pass, %ld passes)\n", "#", "layer",
                "forward", "backward", profiled_steps_);
  s << line;
  double f = 0, b = 0;
  for (size_t i = 0; i < layers_.size() && i < fwd_s_.size(); ++i) {
    std::snprintf(line, sizeof line, "  %-3zu %-10s %12.3f %12.3f\n", i, layers_[i]->type().c_str(),
                  1e3 * fwd_s_[i] / steps, 1e3 * bwd_s_[i] / steps);
    s << line;
    f += fwd_s_[i], b += bwd_s_[i];
  }
  std::snprintf(line, sizeof line, "  %-14s %12.3f %12.3f\n", "total", 1e3 * f / steps, 1e3 * b / steps);
  s << line;
  return s.str();
}

std::string Network::summary(const std::string& name) const {
  std::ostringstream s;
  char line[160];
  if (!name.empty()) s << "model " << name << "\n";
  std::snprintf(line, sizeof line, "  %-3s %-10s %-16s %-14s %12s %14s\n", "#", "layer", "settings", "output", "params",
                "FLOPs/sample");
  s << line;
  std::snprintf(line, sizeof line, "  %-3s %-10s %-16s %-14s %12s %14s\n", "", "input", "", input_.str().c_str(), "",
                "");
  s << line;
  double flops = 0;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& l = *layers_[i];
    std::snprintf(line, sizeof line, "  %-3zu %-10s %-16s %-14s %12zu %14.0f\n", i, l.type().c_str(),
                  l.describe().c_str(), l.output_shape().str().c_str(), l.param_count(), l.flops());
    s << line;
    flops += l.flops();
  }
  std::snprintf(line, sizeof line, "  total parameters: %zu, forward FLOPs per sample: %.2fM\n", params_.size(),
                flops / 1e6);
  s << line;
  return s.str();
}

}  // namespace nullmark
