#include "experiments/drivers/attack_training.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>

#include "datasets/batcher.h"

namespace nullmark {

AttackTraining AttackTraining::read(ConfigMap& cfg, double default_lr) {
  AttackTraining a;
  a.data_fraction = cfg.number("data_fraction", 0.2, 1e-6, 1.0);
  a.epochs = static_cast<int>(cfg.integer("epochs", 2, 1, 1000));
  a.batch_size = static_cast<int>(cfg.integer("batch_size", 128, 1, 65536));
  a.measurements_per_epoch = static_cast<int>(cfg.integer("measurements_per_epoch", 4, 0, 1000));
  a.optimizer = OptimizerConfig::read(cfg.section("optimizer"), default_lr);
  return a;
}

namespace {
TrainParams params_of(const AttackTraining& a) {
  TrainParams p;
  p.epochs = a.epochs;
  p.batch_size = a.batch_size;
  p.optimizer = a.optimizer;
  return p;
}
}  // namespace

AttackTrainer::AttackTrainer(Network& net, const AttackTraining& a, const ExperimentContext& ctx)
    : optimizer(a.optimizer, net.param_slices()), trainer(net, optimizer, params_of(a), ctx.seed) {
  optimizer.to(net);
  ctx.compute.configure(trainer);
}

Dataset subset(const Dataset& data, double fraction, uint64_t seed) {
  const size_t n = std::max<size_t>(1, static_cast<size_t>(std::llround(fraction * data.size())));
  std::vector<uint32_t> order(data.size());
  std::iota(order.begin(), order.end(), 0u);
  std::mt19937_64 rng(seed ^ 0x5eed5eedULL);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
  Dataset s;
  s.name = data.name + " (" + std::to_string(n) + " samples)";
  s.shape = data.shape;
  s.classes = data.classes;
  const size_t per = data.shape.numel();
  for (size_t i = 0; i < n; ++i) {
    s.labels.push_back(data.labels[order[i]]);
    s.images.insert(s.images.end(), data.image(order[i]), data.image(order[i]) + per);
  }
  return s;
}

void train_with_measurements(Trainer& trainer, const Dataset& data, const AttackTraining& a, uint64_t seed,
                             const std::function<void(long step, double epoch)>& on_measure) {
  Batcher batches(data, a.batch_size, seed, true);
  const long per_epoch = batches.batches();
  // 0 measurements per epoch: only before and after the whole training (a long attack whose curve
  // nobody reads would spend most of its time evaluating).
  const long every = a.measurements_per_epoch > 0 ? std::max<long>(1, per_epoch / a.measurements_per_epoch) : 0;
  long step = 0;
  long since_measure = 0;  // steps since the last measurement (a CUDA graph is captured afresh after one)
  on_measure(0, 0.0);
  for (long e = 0; e < a.epochs; ++e) {
    batches.start_epoch(e);
    for (long b = 0; b < per_epoch; ++b) {
      trainer.train_batch(batches, b, since_measure, step, a.optimizer.lr());
      ++step;
      ++since_measure;
      const bool measure = every > 0 ? (b + 1) % every == 0 || b + 1 == per_epoch
                                     : e + 1 == a.epochs && b + 1 == per_epoch;
      if (measure) {
        // Evaluation runs other batch sizes through the network, which may move the buffers a
        // captured graph points at.
        trainer.invalidate_graph();
        since_measure = 0;
        on_measure(step, e + static_cast<double>(b + 1) / per_epoch);
      }
    }
  }
}

}  // namespace nullmark
