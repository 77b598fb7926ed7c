// Training loops shared by the attack drivers (piracy, fine-tuning): a subset of the training data,
// a measurement callback every few steps, and the trainer options the attacks need.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "experiments/drivers/experiment.h"
#include "train/trainer.h"

namespace nullmark {

struct AttackTraining {
  double data_fraction = 0.2;  // share of the training set the attacker has
  int epochs = 2;
  int batch_size = 128;
  OptimizerConfig optimizer;
  int measurements_per_epoch = 4;  // 0: only before and after the whole training
  // Reads data_fraction, epochs, batch_size, optimizer, measurements_per_epoch.
  static AttackTraining read(ConfigMap& cfg, double default_lr);
};

// An optimizer and a trainer for `net` with an attack's settings, on the network's device, with the
// run's seed and `cuda.graph` choice (the optimizer outlives the trainer that refers to it because
// it is declared first).
struct AttackTrainer {
  AttackTrainer(Network& net, const AttackTraining& a, const ExperimentContext& ctx);
  Optimizer optimizer;
  Trainer trainer;
};

// The first `fraction` of a seeded permutation of `data`.
Dataset subset(const Dataset& data, double fraction, uint64_t seed);

// Trains `net` for a.epochs on `data` with `trainer`, calling on_measure(step, epoch_progress) at the
// start and a.measurements_per_epoch times per epoch. A CUDA network trains from pinned,
// double-buffered uploads with no host copies inside a step (Trainer::train_batch).
void train_with_measurements(Trainer& trainer, const Dataset& data, const AttackTraining& a, uint64_t seed,
                             const std::function<void(long step, double epoch)>& on_measure);

}  // namespace nullmark
