#include "experiments/trainer.h"

#include <chrono>
#include <cmath>

#include "common/error.h"
#include "kernels/softmax_xent.h"

namespace nullmark {

TrainParams TrainParams::read(ConfigMap cfg) {
  TrainParams p;
  p.epochs = static_cast<int>(cfg.integer("epochs", 10, 1, 100000));
  p.batch_size = static_cast<int>(cfg.integer("batch_size", 128, 1, 65536));
  p.optimizer = OptimizerConfig::read(cfg.section("optimizer"));
  p.schedule = LrSchedule::read(cfg.section("schedule"));
  cfg.finish();
  return p;
}

Trainer::Trainer(Network& net, Optimizer& opt, const TrainParams& params, uint64_t seed)
    : net_(net), opt_(opt), params_(params), seed_(seed) {}

StepResult Trainer::step(const float* x, const int32_t* y, int n, long global_step, float lr) {
  LayerContext ctx;
  ctx.training = true;
  ctx.seed = seed_;
  ctx.step = static_cast<uint64_t>(global_step);
  const int k = static_cast<int>(net_.output_shape().numel());
  dlogits_.resize(static_cast<size_t>(n) * k);
  const float* logits = net_.forward(x, n, ctx);
  const XentResult r = cpu::softmax_xent(n, k, logits, y, nullptr, 1.0f / n, dlogits_.data(), nullptr);
  const double loss = r.loss_sum / n;
  if (!std::isfinite(loss))
    throw fail("training diverged: the loss is ", loss, " at step ", global_step,
               " (lower the learning rate or check the input normalisation)");
  net_.backward(dlogits_.data(), ctx);
  opt_.step(net_.params(), net_.grads(), lr);
  return {loss, r.correct};
}

EpochStats Trainer::run_epoch(const Dataset& data, long epoch, long& global_step, Progress* progress) {
  Batcher batches(data, params_.batch_size, seed_, true);
  batches.start_epoch(epoch);
  const long per_epoch = batches.batches();
  const long total = per_epoch * params_.epochs;
  x_.resize(static_cast<size_t>(params_.batch_size) * data.shape.numel());
  y_.resize(params_.batch_size);
  if (progress) progress->start("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(params_.epochs), per_epoch);
  const auto t0 = std::chrono::steady_clock::now();
  EpochStats s;
  double loss_sum = 0.0;
  long correct = 0;
  for (long b = 0; b < per_epoch; ++b) {
    const int n = batches.gather(b, x_.data(), y_.data());
    s.lr = params_.schedule.at(opt_.config().lr(), global_step, per_epoch, total);
    const StepResult r = step(x_.data(), y_.data(), n, global_step, static_cast<float>(s.lr));
    ++global_step;
    loss_sum += r.loss * n;
    correct += r.correct;
    s.images += n;
    if (progress) progress->update(b + 1, loss_sum / s.images, static_cast<double>(correct) / s.images, s.images);
  }
  if (progress) progress->finish();
  s.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s.loss = loss_sum / s.images;
  s.accuracy = static_cast<double>(correct) / s.images;
  s.images_per_s = s.images / s.wall_s;
  return s;
}

}  // namespace nullmark
