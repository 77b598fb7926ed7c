// Optimizer over the network's flat parameter buffer. Its state (SGD velocity, or Adam's two
// moments) is one contiguous buffer, saved and restored whole by checkpoints.
#pragma once
#include <string>
#include <vector>

#include "common/strict_yaml.h"
#include "kernels/optimizers.h"

namespace nullmark {

struct OptimizerConfig {
  std::string type = "adam";  // sgd | adam | adamw
  SgdParams sgd;
  AdamParams adam;
  float lr() const { return type == "sgd" ? sgd.lr : adam.lr; }
  // Reads the `optimizer:` section; default_lr <= 0 means 0.01 for SGD, 0.001 for Adam.
  static OptimizerConfig read(ConfigMap cfg, double default_lr = 0.0);
};

class Optimizer {
 public:
  Optimizer(OptimizerConfig cfg, size_t param_count);
  // One step with the learning rate `lr` (from the schedule) on parameters [first, end): layers
  // before `first` stay frozen (fine-tuning the last layers only).
  void step(float* params, const float* grads, float lr, size_t first = 0);
  const OptimizerConfig& config() const { return cfg_; }
  long steps() const { return steps_; }
  std::vector<float>& state() { return state_; }
  void restore(long steps, std::vector<float> state);

 private:
  OptimizerConfig cfg_;
  size_t count_;
  long steps_ = 0;
  std::vector<float> state_;
};

}  // namespace nullmark
