// Base class of all layers. A layer holds its configuration and shapes and dispatches to kernels;
// it does no arithmetic itself. The public forward/backward check shapes, device and parameter
// binding, then call the implementation.
#pragma once
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "kernels/cuda/context.h"
#include "kernels/grad_mode.h"
#include "kernels/kernel_impl.h"
#include "nn/tensor.h"

namespace nullmark {

class LayerChain;

struct LayerContext {
  bool training = false;
  uint64_t seed = 0;           // run seed, for stochastic layers (dropout)
  uint64_t step = 0;           // global training step, so masks differ per step but replay on resume
  float* workspace = nullptr;  // shared scratch, at least max workspace_floats() over layers
  // false: the backward pass is wanted for its input gradient only (Neural Cleanse): layers skip
  // their parameter gradients, which are then left stale.
  bool param_grads = true;
  // Training: batch norm takes its statistics from the batch's first stat_samples samples (a
  // watermarked batch's clean part) and normalises every sample with them; 0: from all samples.
  int stat_samples = 0;
};

class Layer {
 public:
  virtual ~Layer() = default;
  virtual std::string type() const = 0;
  // Human-readable settings for the summary table, e.g. "16@5x5 s1 p0".
  virtual std::string describe() const { return ""; }
  // The layer as a `layers:` entry of a model config, every setting spelled out: the registry
  // builds the same layer from it (implementation choices such as `impl:` left out). Model
  // exporters read layers through it (interop/onnx_export.cpp).
  virtual YAML::Node config() const = 0;
  // A composite layer's chains (a residual block: body, then shortcut), in the order of its
  // parameters and buffers; empty for plain layers.
  virtual std::vector<const LayerChain*> chains() const { return {}; }

  // Fixes the input shape and returns the output shape; throws if the input does not fit.
  Shape build(const Shape& in);
  const Shape& input_shape() const { return in_; }
  const Shape& output_shape() const { return out_; }

  virtual size_t param_count() const { return 0; }
  // The weight matrix at the start of the layer's parameters (biases follow it): `count` values in
  // `rows` output channels. {0, 0} for layers without weights. Pruning and quantisation use it.
  struct Weights {
    size_t count = 0;
    int rows = 0;
  };
  virtual Weights weights() const { return {}; }

  // A run of the layer's parameters with one role. `group` names it for per-group weight decay:
  // "weight" (a weight matrix of `rows` output channels: pruned and quantised), "bias", or "norm"
  // (batch-norm scale and shift). Offsets are relative to the layer's first parameter.
  struct ParamSlice {
    size_t offset = 0, count = 0;
    int rows = 0;
    std::string group;
  };
  // Default: weights() then biases. Composite layers list their children's slices.
  virtual std::vector<ParamSlice> param_slices() const;

  // Non-trainable state saved with the parameters (batch-norm running statistics).
  virtual size_t buffer_count() const { return 0; }

  // Points the layer at its slices of the network's parameter, gradient and buffer arrays.
  void bind(float* params, float* grads, float* buffers) {
    params_ = params, grads_ = grads, buffers_ = buffers;
    bound();
  }
  virtual void init_params(std::mt19937_64& /*rng*/) {}
  virtual void init_buffers() {}
  // Held statistics: in training passes too, normalise with the running statistics and leave them
  // unchanged (batch norm; composite layers pass it on). A fine-tuning attacker that freezes layers
  // may hold them (Keras' non-trainable batch norm) or not (PyTorch's train mode).
  virtual void hold_statistics(bool /*held*/) {}
  // The network's `impl:` default (Network::from_config): layers with a native/library choice that
  // their own config does not name take it; composite layers pass it on.
  virtual void set_default_impl(KernelImpl /*impl*/) {}
  // The network's `cpu_algorithm:` default, likewise: convolutions that name none take it where their
  // shape allows.
  virtual void set_default_cpu_algorithm(ConvAlgorithm /*algorithm*/) {}
  virtual size_t workspace_floats(int /*batch*/) const { return 0; }
  // Activation memory the layer keeps beyond its output, in floats per sample (a residual block:
  // its chains' activations; a dense+relu layer: its masked gradient). It lives in the network's
  // activation arenas, so all activations are one allocation per role; place_inner() hands the
  // layer its part of each arena (room for `capacity` samples) before a forward pass.
  virtual size_t inner_floats_per_sample() const { return 0; }
  virtual void place_inner(float* /*acts*/, float* /*dacts*/, int /*capacity*/) {}
  // Forward multiply-adds per sample, for the summary.
  virtual double flops() const { return 0.0; }

  // The device the layer computes on: its tensors, parameters and internal state live there. On
  // CUDA, `gpu` is the context its kernels run with (stream and implementation choices); the
  // network that owns the layer keeps it alive.
  Device device() const { return device_; }
  void set_device(Device d, const cuda::Context* gpu);

  void forward(const Tensor& x, Tensor& y, const LayerContext& ctx);
  // dx is null for the first layer (nobody needs the input gradient). `mode` applies to every
  // gradient written: dx and the layer's parameter gradients.
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx, GradMode mode, const LayerContext& ctx);

 protected:
  virtual Shape infer(const Shape& in) = 0;
  virtual void do_forward(const Tensor& x, Tensor& y, const LayerContext& ctx) = 0;
  virtual void do_backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx, GradMode mode,
                           const LayerContext& ctx) = 0;

  // Called after bind(); composite layers hand slices on to their children here.
  virtual void bound() {}
  // Called after set_device(); layers with internal state (or children) move it here.
  virtual void moved() {}
  bool on_gpu() const { return device_ == Device::CUDA; }
  const cuda::Context& gpu() const { return *gpu_; }  // valid while on_gpu()

  Shape in_, out_;
  float* params_ = nullptr;
  float* grads_ = nullptr;
  float* buffers_ = nullptr;
  Device device_ = Device::CPU;
  const cuda::Context* gpu_ = nullptr;
};

}  // namespace nullmark
