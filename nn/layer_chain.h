// A chain of layers run one after another. The Network is one chain; a residual block holds two (its
// body and its shortcut). Nothing is owned here: bind() points the layers into the network's
// parameter, gradient and buffer arrays, and place() into its activation and activation-gradient
// arenas, so the whole model keeps one allocation per role however deeply blocks nest.
#pragma once
#include <memory>
#include <random>
#include <vector>

#include "nn/layer.h"

namespace nullmark {

class LayerChain {
 public:
  LayerChain() = default;
  explicit LayerChain(std::vector<std::unique_ptr<Layer>> layers) : layers_(std::move(layers)) {}

  // Fixes the shapes from `in` on; names the failing layer. Returns the output shape (`in` when empty).
  Shape build(const Shape& in);
  const Shape& input_shape() const { return in_; }
  const Shape& output_shape() const { return layers_.empty() ? in_ : layers_.back()->output_shape(); }

  bool empty() const { return layers_.empty(); }
  size_t size() const { return layers_.size(); }
  Layer& layer(size_t i) { return *layers_[i]; }
  const Layer& layer(size_t i) const { return *layers_[i]; }

  size_t param_count() const { return param_off_.empty() ? 0 : param_off_.back(); }
  size_t buffer_count() const { return buffer_off_.empty() ? 0 : buffer_off_.back(); }
  size_t param_offset(size_t i) const { return param_off_[i]; }
  size_t buffer_offset(size_t i) const { return buffer_off_[i]; }
  std::vector<Layer::ParamSlice> param_slices() const;
  // The chain as a `layers:` list (Layer::config of each layer).
  YAML::Node config() const;  // offsets relative to the chain's first parameter
  size_t workspace_floats(int batch) const;
  // Floats per sample the chain needs in each activation arena: every layer's output, laid out
  // [layer][sample], then the layers' inner needs (Layer::inner_floats_per_sample).
  size_t arena_floats_per_sample() const { return arena_per_sample_; }
  // Points the chain (and, through place_inner, its layers' inner needs) at arenas of
  // arena_floats_per_sample() * capacity floats each.
  void place(float* acts, float* dacts, int capacity);
  double flops() const;

  void bind(float* params, float* grads, float* buffers);
  // Moves the layers' computation to device d, with `gpu` its CUDA context there (parameters and
  // arenas are placed separately).
  void to(Device d, const cuda::Context* gpu);
  Device device() const { return device_; }
  void init_params(std::mt19937_64& rng);
  void init_buffers();
  void hold_statistics(bool held);         // Layer::hold_statistics on every layer
  void set_default_impl(KernelImpl impl);  // Layer::set_default_impl on every layer
  void set_default_cpu_algorithm(ConvAlgorithm algorithm);  // likewise

  // Runs x (at most the placed capacity of samples) through the chain; returns the output (x itself
  // when the chain is empty). `seconds`, when given, accumulates each layer's wall time.
  Tensor forward(const Tensor& x, const LayerContext& ctx, std::vector<double>* seconds = nullptr);
  // Backpropagates dy (the gradient of the last forward's output) down to dx (may be null);
  // parameter gradients are overwritten.
  void backward(const Tensor& x, const Tensor& dy, Tensor* dx, const LayerContext& ctx,
                std::vector<double>* seconds = nullptr);
  // Output of layer i from the last forward pass (valid until the next one).
  Tensor output(size_t i, int n) { return act(i, n); }

 private:
  Tensor act(size_t i, int n) { return Tensor{acts_ + act_off_[i] * cap_, n, layers_[i]->output_shape(), device_}; }
  Tensor grad(size_t i, int n) { return Tensor{dacts_ + act_off_[i] * cap_, n, layers_[i]->output_shape(), device_}; }

  std::vector<std::unique_ptr<Layer>> layers_;
  Shape in_;
  std::vector<size_t> param_off_, buffer_off_;  // prefix sums, one more entry than layers
  std::vector<size_t> act_off_;                 // per-sample offset of each layer's output
  std::vector<size_t> inner_off_;               // per-sample offset of each layer's inner need
  size_t arena_per_sample_ = 0;
  int cap_ = 0;
  Device device_ = Device::CPU;
  const cuda::Context* gpu_ = nullptr;
  // The placed arenas, with room for cap_ samples: outputs [layer][sample], then inner needs.
  float* acts_ = nullptr;
  float* dacts_ = nullptr;
};

}  // namespace nullmark
