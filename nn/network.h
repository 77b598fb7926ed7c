// A sequential network. Parameters and their gradients each live in one contiguous buffer that
// the layers point into; activations and their gradients live in two arenas sized for the largest
// batch seen. The optimizer state is a third contiguous buffer, owned by the Optimizer.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "common/strict_yaml.h"
#include "nn/layer.h"
#include "nn/registry.h"

namespace nullmark {

class Network {
 public:
  Network(std::vector<std::unique_ptr<Layer>> layers, const Shape& input);
  // Builds from the `model:` section ({name, layers: [...]}) and checks the output has `classes` entries.
  static Network from_config(ConfigMap model, const Shape& input, int classes,
                             const LayerRegistry& registry = builtin_layers());

  const Shape& input_shape() const { return input_; }
  const Shape& output_shape() const { return layers_.back()->output_shape(); }
  size_t layer_count() const { return layers_.size(); }
  Layer& layer(size_t i) { return *layers_[i]; }
  size_t param_offset(size_t i) const { return offsets_[i]; }

  size_t param_count() const { return params_.size(); }
  float* params() { return params_.data(); }
  const float* params() const { return params_.data(); }
  float* grads() { return grads_.data(); }

  void init_params(uint64_t seed);
  // Runs the batch x (n samples of input_shape) and returns the logits [n, classes].
  const float* forward(const float* x, int n, const LayerContext& ctx);
  // Backpropagates dlogits from the last forward; parameter gradients are overwritten.
  void backward(const float* dlogits, const LayerContext& ctx);
  // Gradient with respect to the input of the last forward (for input-space attacks); null unless
  // backward was asked for it.
  void backward_to_input(const float* dlogits, const LayerContext& ctx, float* dx);

  // Output of layer i from the last forward pass (valid until the next one).
  Tensor output(size_t i) { return act(i, last_n_); }

  // Per-layer wall time of forward and backward passes, accumulated while profiling is on.
  void set_profiling(bool on);
  std::string profile_report() const;

  // Table: layer, settings, output shape, parameters, forward FLOPs per sample.
  std::string summary(const std::string& name = "") const;

 private:
  void ensure_capacity(int n);
  void run_backward(const float* dlogits, const LayerContext& ctx, float* dx_input);
  Tensor act(size_t i, int n) { return Tensor{acts_.data() + act_off_[i] * cap_, n, layers_[i]->output_shape()}; }
  Tensor grad(size_t i, int n) { return Tensor{dacts_.data() + act_off_[i] * cap_, n, layers_[i]->output_shape()}; }

  std::vector<std::unique_ptr<Layer>> layers_;
  Shape input_;
  std::vector<size_t> offsets_;  // parameter offset of each layer
  std::vector<float> params_, grads_;
  std::vector<size_t> act_off_;  // per-sample activation offset of each layer's output
  size_t act_per_sample_ = 0;
  int cap_ = 0, last_n_ = 0;
  const float* last_x_ = nullptr;
  std::vector<float> acts_, dacts_, work_;
  bool profiling_ = false;
  std::vector<double> fwd_s_, bwd_s_;
  long profiled_steps_ = 0;
};

}  // namespace nullmark
