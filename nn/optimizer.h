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
  // Reads the `optimizer:` section.
  static OptimizerConfig read(ConfigMap cfg);
};

class Optimizer {
 public:
  Optimizer(OptimizerConfig cfg, size_t param_count);
  // One step with the learning rate `lr` (from the schedule).
  void step(float* params, const float* grads, float lr);
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
