#include "nn/optimizer.h"

#include "common/error.h"

namespace nullmark {

OptimizerConfig OptimizerConfig::read(ConfigMap cfg, double default_lr) {
  OptimizerConfig o;
  o.type = cfg.choice("type", "adam", {"sgd", "adam", "adamw"});
  if (default_lr <= 0) default_lr = o.type == "sgd" ? 0.01 : 0.001;
  const float lr = static_cast<float>(cfg.number("lr", default_lr, 1e-8, 10.0));
  const float wd = static_cast<float>(cfg.number("weight_decay", 0.0, 0.0, 1.0));
  if (o.type == "sgd") {
    o.sgd.lr = lr, o.sgd.weight_decay = wd;
    o.sgd.momentum = static_cast<float>(cfg.number("momentum", 0.9, 0.0, 0.999));
    o.sgd.nesterov = cfg.boolean("nesterov", false);
  } else {
    o.adam.lr = lr, o.adam.weight_decay = wd, o.adam.decoupled = o.type == "adamw";
    o.adam.beta1 = static_cast<float>(cfg.number("beta1", 0.9, 0.0, 0.9999));
    o.adam.beta2 = static_cast<float>(cfg.number("beta2", 0.999, 0.0, 0.99999));
    o.adam.eps = static_cast<float>(cfg.number("eps", 1e-8, 1e-12, 1.0));
  }
  cfg.finish();
  return o;
}

Optimizer::Optimizer(OptimizerConfig cfg, size_t param_count)
    : cfg_(std::move(cfg)), count_(param_count), state_(param_count * (cfg_.type == "sgd" ? 1 : 2), 0.0f) {}

void Optimizer::step(float* params, const float* grads, float lr, size_t first) {
  NM_CHECK(first <= count_, "optimizer: first trainable parameter ", first, " is past the end (", count_, ")");
  ++steps_;
  const size_t n = count_ - first;
  if (cfg_.type == "sgd") {
    SgdParams h = cfg_.sgd;
    h.lr = lr;
    cpu::sgd_step(n, h, params + first, grads + first, state_.data() + first);
  } else {
    AdamParams h = cfg_.adam;
    h.lr = lr;
    cpu::adam_step(n, h, steps_, params + first, grads + first, state_.data() + first, state_.data() + count_ + first);
  }
}

void Optimizer::restore(long steps, std::vector<float> state) {
  NM_CHECK(state.size() == state_.size(), "optimizer state has ", state.size(), " values, expected ", state_.size(),
           " for ", cfg_.type);
  steps_ = steps;
  state_ = std::move(state);
}

}  // namespace nullmark
