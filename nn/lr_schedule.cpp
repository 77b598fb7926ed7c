#include "nn/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace nullmark {

LrSchedule LrSchedule::read(ConfigMap cfg) {
  LrSchedule s;
  s.type = cfg.choice("type", "constant", {"constant", "step", "cosine", "linear"});
  if (s.type == "step") {
    s.step_epochs = static_cast<int>(cfg.integer("step_epochs", 10, 1, 100000));
    s.gamma = cfg.number("gamma", 0.1, 0.0, 1.0);
  } else if (s.type == "cosine" || s.type == "linear") {
    s.min_lr = cfg.number("min_lr", 0.0, 0.0, 10.0);
  }
  s.warmup_epochs = cfg.number("warmup_epochs", 0.0, 0.0, 1000.0);
  cfg.finish();
  return s;
}

double LrSchedule::at(double base_lr, long step, long steps_per_epoch, long total_steps) const {
  const long warm = static_cast<long>(warmup_epochs * steps_per_epoch);
  if (step < warm) return base_lr * static_cast<double>(step + 1) / warm;
  if (type == "step") return base_lr * std::pow(gamma, static_cast<double>(step / (steps_per_epoch * step_epochs)));
  if (type == "cosine") {
    const double t = total_steps > 1 ? static_cast<double>(step) / static_cast<double>(total_steps) : 0.0;
    return min_lr + 0.5 * (base_lr - min_lr) * (1.0 + std::cos(M_PI * t));
  }
  if (type == "linear") {  // from base_lr where the warm-up ends down to min_lr after the last step
    const double left = static_cast<double>(total_steps - step), span = static_cast<double>(total_steps - warm);
    return span > 0 ? min_lr + (base_lr - min_lr) * std::max(left, 0.0) / span : base_lr;
  }
  return base_lr;
}

}  // namespace nullmark
