#include "nn/network.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <sstream>

#include "common/error.h"
#include "common/format.h"

namespace nullmark {

Network::Network(std::vector<std::unique_ptr<Layer>> layers, const Shape& input)
    : chain_(std::move(layers)), input_(input) {
  NM_CHECK(!chain_.empty(), "a network needs at least one layer");
  chain_.build(input);
  params_.resize(chain_.param_count());
  grads_.resize(chain_.param_count());
  buffers_.resize(chain_.buffer_count());
  bind_all();
  chain_.init_buffers();
}

void Network::to(Device d, std::shared_ptr<cuda::Context> gpu) {
  NM_CHECK(d == Device::CPU || gpu, "a network moved to the GPU needs the CUDA context it runs with");
  if (d == Device::CUDA) gpu_ = std::move(gpu);
  if (d == device()) {
    chain_.to(d, gpu_.get());  // the same device, perhaps another context
    return;
  }
  params_.to(d);
  grads_.to(d);
  buffers_.to(d);
  work_ = DeviceArray<float>(d);
  work_for_n_ = 0;
  acts_ = DeviceArray<float>(d);
  dacts_ = DeviceArray<float>(d);
  acts_for_n_ = 0;
  input_stage_ = DeviceArray<float>(d);
  dlogits_stage_ = DeviceArray<float>(d);
  dx_stage_ = DeviceArray<float>(d);
  chain_.to(d, gpu_.get());
  if (d == Device::CPU) gpu_.reset();
  bind_all();
  last_x_ = nullptr;
}

void Network::set_params(const std::vector<float>& host) {
  NM_CHECK(host.size() == params_.size(), "set_params: ", host.size(), " values for ", params_.size(), " parameters");
  params_.upload(host.data(), host.size());
}

void Network::set_buffers(const std::vector<float>& host) {
  NM_CHECK(host.size() == buffers_.size(), "set_buffers: ", host.size(), " values for ", buffers_.size(), " buffers");
  buffers_.upload(host.data(), host.size());
}

Network Network::from_config(ConfigMap model, const Shape& input, int classes, const LayerRegistry& registry) {
  model.string("name", "unnamed");
  // The implementation every conv2d and dense layer takes unless it names its own.
  const std::string impl = model.choice("impl", "auto", {"auto", "native", "library"});
  // The CPU's algorithm for the 3x3 convolutions that name none (where their shape allows it). Read
  // only where given, so that a model without it resolves as it did before the key existed: a
  // checkpoint compares its model section with the config's on --resume.
  const bool winograd =
      model.has("cpu_algorithm") && model.choice("cpu_algorithm", "direct", {"direct", "winograd"}) == "winograd";
  std::vector<std::unique_ptr<Layer>> layers;
  for (ConfigMap& l : model.list("layers")) layers.push_back(registry.create(l));
  model.finish();
  const KernelImpl default_impl =
      impl == "native" ? KernelImpl::Native : impl == "library" ? KernelImpl::Library : KernelImpl::Auto;
  for (auto& l : layers) {
    l->set_default_impl(default_impl);
    l->set_default_cpu_algorithm(winograd ? ConvAlgorithm::Winograd : ConvAlgorithm::Direct);
  }
  if (layers.empty()) model.error("layers", "the model has no layers");
  // Shape errors name the config file and line of the model's layer list.
  std::unique_ptr<Network> built;
  try {
    built = std::make_unique<Network>(std::move(layers), input);
  } catch (const Error& e) {
    model.error("layers", e.what());
  }
  Network net = std::move(*built);
  if (net.output_shape() != Shape{classes})
    model.error("layers", "the last layer outputs " + net.output_shape().str() +
                              " values per sample but the data set has " + std::to_string(classes) + " classes");
  return net;
}

void Network::init_params(uint64_t seed) {
  const Device d = device();
  std::shared_ptr<cuda::Context> gpu = gpu_;
  to(Device::CPU);  // layers initialise through host pointers; one upload afterwards
  std::mt19937_64 rng(seed);
  chain_.init_params(rng);
  chain_.init_buffers();
  to(d, std::move(gpu));
}

const float* Network::forward(const float* x, int n, const LayerContext& ctx_in) {
  NM_CHECK(n > 0, "forward: empty batch");
  if (n != work_for_n_) {
    work_.ensure(chain_.workspace_floats(n));
    work_for_n_ = n;
  }
  if (n > acts_for_n_) {  // grows only: a step allocates nothing once the largest batch has run
    acts_.resize(chain_.arena_floats_per_sample() * n);
    dacts_.resize(chain_.arena_floats_per_sample() * n);
    chain_.place(acts_.data(), dacts_.data(), n);
    acts_for_n_ = n;
  }
  LayerContext ctx = ctx_in;
  ctx.workspace = work_.data();
  const Tensor in{const_cast<float*>(x), n, input_, device()};
  const Tensor out = chain_.forward(in, ctx, profiling_ ? &fwd_s_ : nullptr);
  if (profiling_) ++profiled_steps_;
  last_n_ = n;
  last_x_ = x;
  return out.data;
}

const float* Network::forward_host(const float* x, int n, const LayerContext& ctx) {
  if (device() == Device::CPU) return forward(x, n, ctx);
  const size_t in = static_cast<size_t>(n) * input_.numel(), out = static_cast<size_t>(n) * output_shape().numel();
  input_stage_.ensure(in);
  input_stage_.upload(x, in);
  const float* logits = forward(input_stage_.data(), n, ctx);
  logits_host_.resize(out);
  cuda::copy_to_host(*gpu_, logits_host_.data(), logits, out * sizeof(float));
  return logits_host_.data();
}

void Network::run_backward(const float* dlogits, const LayerContext& ctx_in, float* dx_input) {
  NM_CHECK(last_x_ != nullptr, "backward called before forward");
  LayerContext ctx = ctx_in;
  ctx.workspace = work_.data();
  const Tensor x{const_cast<float*>(last_x_), last_n_, input_, device()};
  const Tensor dy{const_cast<float*>(dlogits), last_n_, output_shape(), device()};
  Tensor dx{dx_input, last_n_, input_, device()};
  chain_.backward(x, dy, dx_input ? &dx : nullptr, ctx, profiling_ ? &bwd_s_ : nullptr);
}

void Network::backward(const float* dlogits, const LayerContext& ctx) { run_backward(dlogits, ctx, nullptr); }

void Network::backward_to_input_host(const float* dlogits, const LayerContext& ctx, float* dx) {
  NM_CHECK(dx != nullptr, "backward_to_input_host needs an output buffer");
  if (device() == Device::CPU) return run_backward(dlogits, ctx, dx);
  const size_t in = static_cast<size_t>(last_n_) * input_.numel(),
               out = static_cast<size_t>(last_n_) * output_shape().numel();
  dlogits_stage_.ensure(out);
  dlogits_stage_.upload(dlogits, out);
  dx_stage_.ensure(in);
  run_backward(dlogits_stage_.data(), ctx, dx_stage_.data());
  cuda::copy_to_host(*gpu_, dx, dx_stage_.data(), in * sizeof(float));
}

cuda::Context& Network::gpu() const {
  NM_CHECK(gpu_ != nullptr, "the network is not on the GPU");
  return *gpu_;
}

void Network::set_profiling(bool on) {
  profiling_ = on;
  fwd_s_.assign(chain_.size(), 0.0);
  bwd_s_.assign(chain_.size(), 0.0);
  profiled_steps_ = 0;
}

std::vector<Network::ProfileRow> Network::profile() const {
  // The settings column carries conv and dense layers' implementation on the GPU (e.g. native/cudnn
  // once `impl: auto` has chosen), so a profile says which kernels it timed.
  const double steps = profiled_steps_ ? static_cast<double>(profiled_steps_) : 1.0;
  std::vector<ProfileRow> rows;
  for (size_t i = 0; i < chain_.size() && i < fwd_s_.size(); ++i) {
    const Layer& l = chain_.layer(i);
    rows.push_back({l.type(), l.describe(), 1e3 * fwd_s_[i] / steps, 1e3 * bwd_s_[i] / steps});
  }
  return rows;
}

std::string Network::profile_report() const {
  std::string s = format("  %-3s %-13s %-22s %12s %12s   (ms per forward pass, %ld passes)\n", "#", "layer", "settings",
                         "forward", "backward", profiled_steps_);
  double f = 0, b = 0;
  const std::vector<ProfileRow> rows = profile();
  for (size_t i = 0; i < rows.size(); ++i) {
    s += format("  %-3zu %-13s %-22s %12.3f %12.3f\n", i, rows[i].layer.c_str(), rows[i].settings.c_str(),
                rows[i].forward_ms, rows[i].backward_ms);
    f += rows[i].forward_ms, b += rows[i].backward_ms;
  }
  return s + format("  %-40s %12.3f %12.3f\n", "total", f, b);
}

std::string Network::summary(const std::string& name) const {
  std::ostringstream s;
  char line[160];
  if (!name.empty()) s << "model " << name << "\n";
  std::snprintf(line, sizeof line, "  %-3s %-13s %-16s %-14s %12s %14s\n", "#", "layer", "settings", "output", "params",
                "FLOPs/sample");
  s << line;
  std::snprintf(line, sizeof line, "  %-3s %-13s %-16s %-14s %12s %14s\n", "", "input", "", input_.str().c_str(), "",
                "");
  s << line;
  double flops = 0;
  for (size_t i = 0; i < chain_.size(); ++i) {
    const Layer& l = chain_.layer(i);
    std::snprintf(line, sizeof line, "  %-3zu %-13s %-16s %-14s %12zu %14.0f\n", i, l.type().c_str(),
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
