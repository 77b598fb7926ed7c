#include "nn/network.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "common/error.h"

namespace nullmark {

Network::Network(std::vector<std::unique_ptr<Layer>> layers, const Shape& input)
    : chain_(std::move(layers)), input_(input) {
  NM_CHECK(!chain_.empty(), "a network needs at least one layer");
  chain_.build(input);
  params_.assign(chain_.param_count(), 0.0f);
  grads_.assign(chain_.param_count(), 0.0f);
  buffers_.assign(chain_.buffer_count(), 0.0f);
  chain_.bind(params_.data(), grads_.data(), buffers_.data());
  chain_.init_buffers();
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
  chain_.init_params(rng);
  chain_.init_buffers();
}

const float* Network::forward(const float* x, int n, const LayerContext& ctx_in) {
  NM_CHECK(n > 0, "forward: empty batch");
  const size_t ws = chain_.workspace_floats(n);
  if (work_.size() < ws) work_.assign(ws, 0.0f);
  LayerContext ctx = ctx_in;
  ctx.workspace = work_.data();
  const Tensor out = chain_.forward(Tensor{const_cast<float*>(x), n, input_}, ctx, profiling_ ? &fwd_s_ : nullptr);
  if (profiling_) ++profiled_steps_;
  last_n_ = n;
  last_x_ = x;
  return out.data;
}

void Network::run_backward(const float* dlogits, const LayerContext& ctx_in, float* dx_input) {
  NM_CHECK(last_x_ != nullptr, "backward called before forward");
  LayerContext ctx = ctx_in;
  ctx.workspace = work_.data();
  const Tensor x{const_cast<float*>(last_x_), last_n_, input_};
  const Tensor dy{const_cast<float*>(dlogits), last_n_, output_shape()};
  Tensor dx{dx_input, last_n_, input_};
  chain_.backward(x, dy, dx_input ? &dx : nullptr, ctx, profiling_ ? &bwd_s_ : nullptr);
}

void Network::backward(const float* dlogits, const LayerContext& ctx) { run_backward(dlogits, ctx, nullptr); }

void Network::backward_to_input(const float* dlogits, const LayerContext& ctx, float* dx) {
  NM_CHECK(dx != nullptr, "backward_to_input needs an output buffer");
  run_backward(dlogits, ctx, dx);
}

void Network::set_profiling(bool on) {
  profiling_ = on;
  fwd_s_.assign(chain_.size(), 0.0);
  bwd_s_.assign(chain_.size(), 0.0);
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
  for (size_t i = 0; i < chain_.size() && i < fwd_s_.size(); ++i) {
    std::snprintf(line, sizeof line, "  %-3zu %-10s %12.3f %12.3f\n", i, chain_.layer(i).type().c_str(),
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
  for (size_t i = 0; i < chain_.size(); ++i) {
    const Layer& l = chain_.layer(i);
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
