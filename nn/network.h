// A network: a chain of layers (residual blocks nest chains of their own). Parameters, their
// gradients, the non-trainable buffers (batch-norm running statistics), the activations and the
// activation gradients each live in one contiguous array that the layers point into, nested blocks
// included; the two activation arenas are sized for the largest batch seen. The optimizer state is
// a further contiguous buffer, owned by the Optimizer.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/strict_yaml.h"
#include "nn/device_array.h"
#include "nn/layer.h"
#include "nn/layer_chain.h"
#include "nn/registry.h"

namespace nullmark {

class Network {
 public:
  Network(std::vector<std::unique_ptr<Layer>> layers, const Shape& input);
  // Builds from the `model:` section ({name, layers: [...]}) and checks the output has `classes` entries.
  static Network from_config(ConfigMap model, const Shape& input, int classes,
                             const LayerRegistry& registry = builtin_layers());

  const Shape& input_shape() const { return input_; }
  const Shape& output_shape() const { return chain_.output_shape(); }
  size_t layer_count() const { return chain_.size(); }
  // The layers (nested blocks through Layer::chains()), for exporters.
  const LayerChain& chain() const { return chain_; }
  Layer& layer(size_t i) { return chain_.layer(i); }
  size_t param_offset(size_t i) const { return chain_.param_offset(i); }
  size_t buffer_offset(size_t i) const { return chain_.buffer_offset(i); }
  // Every parameter run with its role (see Layer::ParamSlice), offsets into params().
  std::vector<Layer::ParamSlice> param_slices() const { return chain_.param_slices(); }

  // The device the network computes on and keeps its arrays on (CPU unless moved).
  Device device() const { return chain_.device(); }
  // Moves parameters, gradients, buffers and activations to d (explicit copies, once). On CUDA,
  // `gpu` is the context the network's kernels run with; the network shares its ownership (so it
  // outlives every pass), and networks that exchange data on the device share one context.
  void to(Device d, std::shared_ptr<cuda::Context> gpu = nullptr);
  // The CUDA context of a network on the GPU (an error on the CPU).
  cuda::Context& gpu() const;

  // Pointers into the network's device memory: host pointers on the CPU, device pointers on CUDA.
  size_t param_count() const { return params_.size(); }
  float* params() { return params_.data(); }
  const float* params() const { return params_.data(); }
  float* grads() { return grads_.data(); }
  size_t buffer_count() const { return buffers_.size(); }
  float* buffers() { return buffers_.data(); }
  const float* buffers() const { return buffers_.data(); }

  // Initialises the parameters from the seed and resets the buffers (running mean 0, variance 1).
  void init_params(uint64_t seed);
  // Host copies of the parameters and buffers (and uploads of new ones), whatever the device.
  std::vector<float> host_params() const { return params_.download(); }
  std::vector<float> host_buffers() const { return buffers_.download(); }
  void set_params(const std::vector<float>& host);
  void set_buffers(const std::vector<float>& host);

  // Memory spaces are in the names: forward and backward take and return buffers in the network's
  // own memory (host memory for a CPU network, device memory for a CUDA one: the training step);
  // the _host forms take and return host memory, copying to and from the device on CUDA
  // (evaluation, attacks). On a CPU network the two forms are the same.
  //
  // Runs the batch x (n samples of input_shape) and returns the logits [n, classes].
  const float* forward(const float* x, int n, const LayerContext& ctx);
  const float* forward_host(const float* x, int n, const LayerContext& ctx);
  // Backpropagates dlogits from the last forward; parameter gradients are overwritten.
  void backward(const float* dlogits, const LayerContext& ctx);
  // Gradient dx with respect to the input of the last forward_host(), for input-space attacks
  // (Neural Cleanse), dlogits and dx in host memory. Parameter gradients are overwritten as by
  // backward(), unless ctx.param_grads is false.
  void backward_to_input_host(const float* dlogits, const LayerContext& ctx, float* dx);

  // Floats per sample in each activation arena (every output, nested blocks' included).
  size_t activation_floats_per_sample() const { return chain_.arena_floats_per_sample(); }

  // Output of layer i from the last forward pass (valid until the next one).
  Tensor output(size_t i) { return chain_.output(i, last_n_); }

  // Per-layer wall time of forward and backward passes, accumulated while profiling is on.
  void set_profiling(bool on);
  struct ProfileRow {
    std::string layer, settings;
    double forward_ms = 0, backward_ms = 0;  // per pass
  };
  // One row per top-level layer: mean time per pass since profiling was switched on.
  std::vector<ProfileRow> profile() const;
  long profiled_passes() const { return profiled_steps_; }
  std::string profile_report() const;

  // Table: layer, settings, output shape, parameters, forward FLOPs per sample.
  std::string summary(const std::string& name = "") const;

 private:
  void run_backward(const float* dlogits, const LayerContext& ctx, float* dx_input);

  void bind_all() { chain_.bind(params_.data(), grads_.data(), buffers_.data()); }

  LayerChain chain_;
  std::shared_ptr<cuda::Context> gpu_;
  Shape input_;
  DeviceArray<float> params_, grads_, buffers_;
  DeviceArray<float> acts_, dacts_;  // the activation arenas, room for acts_for_n_ samples
  int acts_for_n_ = 0;
  int last_n_ = 0;
  const float* last_x_ = nullptr;
  DeviceArray<float> work_;
  int work_for_n_ = 0;              // batch size work_ was sized for (sizing asks cuDNN, so not every pass)
  DeviceArray<float> input_stage_;  // CUDA: the uploaded batch of forward_host()
  DeviceArray<float> dlogits_stage_, dx_stage_;  // CUDA: backward_to_input_host()'s uploaded dlogits and its dx
  std::vector<float> logits_host_;               // CUDA: the downloaded logits of forward_host()
  bool profiling_ = false;
  std::vector<double> fwd_s_, bwd_s_;
  long profiled_steps_ = 0;
};

}  // namespace nullmark
