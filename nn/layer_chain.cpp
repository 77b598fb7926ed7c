#include "nn/layer_chain.h"

#include <algorithm>
#include <chrono>

#include "common/error.h"
#include "kernels/cuda/runtime.h"

namespace nullmark {

Shape LayerChain::build(const Shape& in) {
  in_ = in;
  Shape s = in;
  param_off_.assign(1, 0);
  buffer_off_.assign(1, 0);
  act_off_.clear();
  size_t outputs = 0;
  for (size_t i = 0; i < layers_.size(); ++i) {
    try {
      s = layers_[i]->build(s);
    } catch (const Error& e) {
      throw fail("layer ", i, " (", layers_[i]->type(), "): ", e.what());
    }
    param_off_.push_back(param_off_.back() + layers_[i]->param_count());
    buffer_off_.push_back(buffer_off_.back() + layers_[i]->buffer_count());
    act_off_.push_back(outputs);
    outputs += s.numel();
  }
  inner_off_.clear();
  arena_per_sample_ = outputs;
  for (const auto& l : layers_) {
    inner_off_.push_back(arena_per_sample_);
    arena_per_sample_ += l->inner_floats_per_sample();
  }
  acts_ = dacts_ = nullptr;
  cap_ = 0;
  return s;
}

std::vector<Layer::ParamSlice> LayerChain::param_slices() const {
  std::vector<Layer::ParamSlice> out;
  for (size_t i = 0; i < layers_.size(); ++i)
    for (Layer::ParamSlice p : layers_[i]->param_slices()) {
      p.offset += param_off_[i];
      out.push_back(p);
    }
  return out;
}

size_t LayerChain::workspace_floats(int batch) const {
  size_t ws = 0;
  for (const auto& l : layers_) ws = std::max(ws, l->workspace_floats(batch));
  return ws;
}

double LayerChain::flops() const {
  double f = 0;
  for (const auto& l : layers_) f += l->flops();
  return f;
}

void LayerChain::bind(float* params, float* grads, float* buffers) {
  for (size_t i = 0; i < layers_.size(); ++i)
    layers_[i]->bind(params ? params + param_off_[i] : nullptr, grads ? grads + param_off_[i] : nullptr,
                     buffers ? buffers + buffer_off_[i] : nullptr);
}

void LayerChain::init_params(std::mt19937_64& rng) {
  for (auto& l : layers_) l->init_params(rng);
}

void LayerChain::init_buffers() {
  for (auto& l : layers_) l->init_buffers();
}

void LayerChain::hold_statistics(bool held) {
  for (auto& l : layers_) l->hold_statistics(held);
}

void LayerChain::set_default_cpu_algorithm(ConvAlgorithm algorithm) {
  for (auto& l : layers_) l->set_default_cpu_algorithm(algorithm);
}

void LayerChain::set_default_impl(KernelImpl impl) {
  for (auto& l : layers_) l->set_default_impl(impl);
}

void LayerChain::to(Device d, const cuda::Context* gpu) {
  device_ = d;
  gpu_ = d == Device::CUDA ? gpu : nullptr;
  for (auto& l : layers_) l->set_device(d, gpu);
  acts_ = dacts_ = nullptr;  // the arenas moved with the network: placed again before the next pass
  cap_ = 0;
}

void LayerChain::place(float* acts, float* dacts, int capacity) {
  acts_ = acts, dacts_ = dacts, cap_ = capacity;
  const size_t cap = static_cast<size_t>(capacity);
  for (size_t i = 0; i < layers_.size(); ++i)
    if (layers_[i]->inner_floats_per_sample() > 0)
      layers_[i]->place_inner(acts + inner_off_[i] * cap, dacts + inner_off_[i] * cap, capacity);
}

namespace {
double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
// Per-layer timing on the GPU waits for the queued kernels, so each layer is charged its own run
// time rather than its launch time (profiling only: it stalls the pipeline).
void settle(const std::vector<double>* seconds, const Tensor& t, const cuda::Context* gpu) {
  if (seconds && t.device == Device::CUDA) gpu->synchronize();
}
}  // namespace

Tensor LayerChain::forward(const Tensor& x, const LayerContext& ctx, std::vector<double>* seconds) {
  NM_CHECK(x.n > 0, "forward: empty batch");
  NM_CHECK(x.n <= cap_ || layers_.empty(), "forward: a batch of ", x.n, " samples, but the activation arenas hold ", cap_);
  Tensor in = x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    Tensor out = act(i, x.n);
    settle(seconds, in, gpu_);
    const auto t0 = std::chrono::steady_clock::now();
    layers_[i]->forward(in, out, ctx);
    settle(seconds, in, gpu_);
    if (seconds) (*seconds)[i] += since(t0);
    in = out;
  }
  return in;
}

void LayerChain::backward(const Tensor& x, const Tensor& dy, Tensor* dx, const LayerContext& ctx,
                          std::vector<double>* seconds) {
  const int n = x.n;
  NM_CHECK(n <= cap_, "backward: batch of ", n, " was never run forward");
  for (size_t i = layers_.size(); i-- > 0;) {
    const Tensor in = i ? act(i - 1, n) : x;
    const Tensor dout = i + 1 == layers_.size() ? dy : grad(i, n);
    Tensor din = i ? grad(i - 1, n) : (dx ? *dx : Tensor{});
    settle(seconds, in, gpu_);
    const auto t0 = std::chrono::steady_clock::now();
    layers_[i]->backward(in, act(i, n), dout, (i || dx) ? &din : nullptr, GradMode::Overwrite, ctx);
    settle(seconds, in, gpu_);
    if (seconds) (*seconds)[i] += since(t0);
  }
}

YAML::Node LayerChain::config() const {
  YAML::Node list(YAML::NodeType::Sequence);
  for (const auto& l : layers_) list.push_back(l->config());
  return list;
}

}  // namespace nullmark
