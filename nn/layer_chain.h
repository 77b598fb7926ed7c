// A chain of layers run one after another, with its own activation and activation-gradient arenas.
// The Network is one chain; a residual block holds two (its body and its shortcut). Parameters,
// gradients and buffers are not owned here: bind() points the layers into arrays owned by the
// network, so the whole model stays one contiguous parameter buffer.
#pragma once
#include <memory>
#include <random>
#include <vector>

#include "nn/device_array.h"
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
  std::vector<Layer::ParamSlice> param_slices() const;  // offsets relative to the chain's first parameter
  size_t workspace_floats(int batch) const;
  double flops() const;

  void bind(float* params, float* grads, float* buffers);
  // Moves the layers' computation and the arenas to device d (parameters are bound separately).
  void to(Device d);
  Device device() const { return device_; }
  void init_params(std::mt19937_64& rng);
  void init_buffers();

  // Runs x through the chain; returns the output (x itself when the chain is empty). `seconds`, when
  // given, accumulates each layer's wall time.
  Tensor forward(const Tensor& x, const LayerContext& ctx, std::vector<double>* seconds = nullptr);
  // Backpropagates dy (the gradient of the last forward's output) down to dx (may be null);
  // parameter gradients are overwritten.
  void backward(const Tensor& x, const Tensor& dy, Tensor* dx, const LayerContext& ctx,
                std::vector<double>* seconds = nullptr);
  // Output of layer i from the last forward pass (valid until the next one).
  Tensor output(size_t i, int n) { return act(i, n); }

 private:
  void ensure_capacity(int n);
  Tensor act(size_t i, int n) {
    return Tensor{acts_.data() + act_off_[i] * cap_, n, layers_[i]->output_shape(), device_};
  }
  Tensor grad(size_t i, int n) {
    return Tensor{dacts_.data() + act_off_[i] * cap_, n, layers_[i]->output_shape(), device_};
  }

  std::vector<std::unique_ptr<Layer>> layers_;
  Shape in_;
  std::vector<size_t> param_off_, buffer_off_;  // prefix sums, one more entry than layers
  std::vector<size_t> act_off_;                 // per-sample offset of each layer's output
  size_t act_per_sample_ = 0;
  int cap_ = 0;
  Device device_ = Device::CPU;
  // Arenas laid out [layer][sample] with room for cap_ samples per layer.
  DeviceArray<float> acts_, dacts_;
};

}  // namespace nullmark
