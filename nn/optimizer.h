// Optimizer over the network's flat parameter buffer. Its state (SGD velocity, or Adam's two
// moments) is one contiguous buffer, saved and restored whole by checkpoints. L2 weight decay is set
// per parameter group (weight / bias / norm, from Layer::ParamSlice); a step runs the fused kernel
// once per stretch of parameters sharing a decay.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "common/strict_yaml.h"
#include "kernels/cuda/runtime.h"
#include "kernels/optimizers.h"
#include "nn/device_array.h"
#include "nn/layer.h"
#include "nn/network.h"

namespace nullmark {

struct OptimizerConfig {
  std::string type = "adam";  // sgd | adam | adamw
  SgdParams sgd;
  AdamParams adam;
  float lr() const { return type == "sgd" ? sgd.lr : adam.lr; }
  // Weight decay of each parameter group (`weight_decay_groups:`); groups not named use
  // `weight_decay`, which is also the decay the sgd/adam params above carry.
  std::map<std::string, float> group_decay;
  float decay_of(const std::string& group) const;
  // Reads the `optimizer:` section; default_lr <= 0 means 0.01 for SGD, 0.001 for Adam.
  static OptimizerConfig read(ConfigMap cfg, double default_lr = 0.0);
};

class Optimizer {
 public:
  // `slices` cover the parameter buffer in order (Network::param_slices()).
  Optimizer(OptimizerConfig cfg, const std::vector<Layer::ParamSlice>& slices);
  // One step with the learning rate `lr` (from the schedule) on parameters [first, end): layers
  // before `first` stay frozen (fine-tuning the last layers only).
  void step(float* params, const float* grads, float lr, size_t first = 0);
  const OptimizerConfig& config() const { return cfg_; }
  long steps() const { return steps_; }
  // For CUDA graphs: the learning-rate and Adam scalars of the next step, and the step count kept
  // right when a captured step is replayed instead of calling step().
  void next_step_scalars(float lr, cuda::StepScalars& s) const;
  void count_replayed_step() { ++steps_; }
  // A host copy of the state (for checkpoints), and its restoration.
  std::vector<float> state() const { return state_.download(); }
  void restore(long steps, const std::vector<float>& state);
  // Keeps the state where `net` computes; step() then takes parameter and gradient pointers there,
  // and on CUDA runs with the network's context.
  void to(const Network& net);

 private:
  struct Run {
    size_t begin, end;
    float decay;
  };
  OptimizerConfig cfg_;
  size_t count_ = 0;
  std::vector<Run> runs_;
  long steps_ = 0;
  DeviceArray<float> state_;
  const cuda::Context* gpu_ = nullptr;  // on CUDA: the context of the network it steps
};

}  // namespace nullmark
