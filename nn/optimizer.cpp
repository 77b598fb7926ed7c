#include "nn/optimizer.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "kernels/cuda/runtime.h"

namespace nullmark {

OptimizerConfig OptimizerConfig::read(ConfigMap cfg, double default_lr) {
  OptimizerConfig o;
  o.type = cfg.choice("type", "adam", {"sgd", "adam", "adamw"});
  if (default_lr <= 0) default_lr = o.type == "sgd" ? 0.01 : 0.001;
  const float lr = static_cast<float>(cfg.number("lr", default_lr, 1e-8, 10.0));
  const float wd = static_cast<float>(cfg.number("weight_decay", 0.0, 0.0, 1.0));
  if (cfg.has("weight_decay_groups")) {
    ConfigMap groups = cfg.section("weight_decay_groups");
    for (const char* g : {"weight", "bias", "norm"})
      if (groups.has(g)) o.group_decay[g] = static_cast<float>(groups.number(g, wd, 0.0, 1.0));
    groups.finish();
  }
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

float OptimizerConfig::decay_of(const std::string& group) const {
  const auto it = group_decay.find(group);
  if (it != group_decay.end()) return it->second;
  return type == "sgd" ? sgd.weight_decay : adam.weight_decay;
}

Optimizer::Optimizer(OptimizerConfig cfg, const std::vector<Layer::ParamSlice>& slices) : cfg_(std::move(cfg)) {
  for (const Layer::ParamSlice& s : slices) {
    NM_CHECK(s.offset == count_, "optimizer: parameter slices must cover the buffer in order (gap at ", count_, ")");
    const float decay = cfg_.decay_of(s.group);
    if (!runs_.empty() && runs_.back().decay == decay)
      runs_.back().end += s.count;
    else
      runs_.push_back({count_, count_ + s.count, decay});
    count_ += s.count;
  }
  state_.resize(count_ * (cfg_.type == "sgd" ? 1 : 2));
}

void Optimizer::step(float* params, const float* grads, float lr, size_t first) {
  NM_CHECK(first <= count_, "optimizer: first trainable parameter ", first, " is past the end (", count_, ")");
  ++steps_;
  const bool gpu = state_.device() == Device::CUDA;
  for (const Run& r : runs_) {
    const size_t b = std::max(r.begin, first);
    if (b >= r.end) continue;
    const size_t n = r.end - b;
    if (cfg_.type == "sgd") {
      SgdParams h = cfg_.sgd;
      h.lr = lr, h.weight_decay = r.decay;
      if (gpu)
        NM_GPU(cuda::sgd_step(*gpu_, n, h, params + b, grads + b, state_.data() + b));
      else
        cpu::sgd_step(n, h, params + b, grads + b, state_.data() + b);
    } else {
      AdamParams h = cfg_.adam;
      h.lr = lr, h.weight_decay = r.decay;
      float* m = state_.data() + b;
      float* v = state_.data() + count_ + b;
      if (gpu)
        NM_GPU(cuda::adam_step(*gpu_, n, h, steps_, params + b, grads + b, m, v));
      else
        cpu::adam_step(n, h, steps_, params + b, grads + b, m, v);
    }
  }
}

void Optimizer::to(const Network& net) {
  state_.to(net.device());
  gpu_ = net.device() == Device::CUDA ? &net.gpu() : nullptr;
}

void Optimizer::next_step_scalars(float lr, cuda::StepScalars& s) const {
  s.lr = lr;
  if (cfg_.type == "sgd") return;
  const long t = steps_ + 1;  // as adam_step computes them for step t
  const float bc1 = 1.0f - static_cast<float>(std::pow(cfg_.adam.beta1, t));
  const float bc2 = 1.0f - static_cast<float>(std::pow(cfg_.adam.beta2, t));
  s.step_size = lr / bc1;
  s.inv_sqrt_bc2 = 1.0f / std::sqrt(bc2);
}

void Optimizer::restore(long steps, const std::vector<float>& state) {
  NM_CHECK(state.size() == state_.size(), "optimizer state has ", state.size(), " values, expected ", state_.size(),
           " for ", cfg_.type);
  steps_ = steps;
  state_.upload(state.data(), state.size());
}

}  // namespace nullmark
