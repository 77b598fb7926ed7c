// Learning-rate schedules, evaluated per step so decay is smooth within an epoch, with an optional
// linear warm-up over the first epochs. Warm-up followed by `linear` decay is the one-cycle
// (triangular) schedule of fast CIFAR-10 recipes.
#pragma once
#include <string>

#include "common/strict_yaml.h"

namespace nullmark {

struct LrSchedule {
  std::string type = "constant";  // constant | step | cosine | linear
  int step_epochs = 10;           // step: multiply by gamma every step_epochs epochs
  double gamma = 0.1;
  double min_lr = 0.0;         // cosine, linear: value reached at the end of the last epoch
  double warmup_epochs = 0.0;  // linear warm-up from base_lr / warmup_steps, before the schedule

  static LrSchedule read(ConfigMap cfg);
  // lr at global step `step` (0-based) of `total_steps`, with `steps_per_epoch` steps an epoch.
  double at(double base_lr, long step, long steps_per_epoch, long total_steps) const;
};

}  // namespace nullmark
