#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "common/error.h"
#include "kernels/augment.h"
#include "kernels/optimizers.h"
#include "kernels/softmax_xent.h"

namespace nullmark {

TrainParams TrainParams::read(ConfigMap cfg) {
  TrainParams p;
  p.epochs = static_cast<int>(cfg.integer("epochs", 10, 1, 100000));
  p.batch_size = static_cast<int>(cfg.integer("batch_size", 128, 1, 65536));
  p.optimizer = OptimizerConfig::read(cfg.section("optimizer"));
  p.schedule = LrSchedule::read(cfg.section("schedule"));
  p.label_smoothing = cfg.number("label_smoothing", 0.0, 0.0, 0.5);
  ConfigMap aug = cfg.section("augment");
  p.crop_padding = static_cast<int>(aug.integer("crop_padding", 0, 0, 64));
  p.flip = aug.boolean("flip", false);
  aug.finish();
  cfg.finish();
  return p;
}

void Trainer::batch_weights(int n, int n_null, int n_true, float scale) {
  weights_.assign(n, static_cast<float>(scale * wm_training_.clean_weight / n));
  weights_.resize(n + n_null, n_null ? static_cast<float>(scale * wm_training_.null_weight / n_null) : 0.0f);
  weights_.resize(n + n_null + n_true, n_true ? static_cast<float>(scale * wm_training_.true_weight / n_true) : 0.0f);
}

void Trainer::set_watermark(const Watermark& wm, const WatermarkTraining& training) {
  wm_ = &wm;
  wm_training_ = training;
}

StepResult Trainer::step(const float* x, const int32_t* y, int n, long global_step, float lr) {
  NM_CHECK(net_.device() == Device::CPU, "Trainer::step takes host batches; a CUDA network trains through run_epoch");
  LayerContext ctx;
  ctx.training = true;
  ctx.seed = seed_;
  ctx.step = static_cast<uint64_t>(global_step);
  const int k = static_cast<int>(net_.output_shape().numel());
  const auto input_t0 = std::chrono::steady_clock::now();
  if (params_.crop_padding > 0 || params_.flip) {
    // Augment the clean images first: stamping acts on the model's input after preprocessing.
    const Shape& in = net_.input_shape();
    xa_.resize(in.numel() * n);
    cpu::augment_crop_flip(ImageShape{in[0], in[1], in[2]}, n, params_.crop_padding, params_.flip, seed_,
                           static_cast<uint64_t>(global_step) * params_.batch_size, x, xa_.data());
    x = xa_.data();
  }
  int total = n;
  const float* weights = nullptr;
  float scale = 1.0f / n;
  if (wm_) {
    // Batch = [n clean | n_null null-stamped | n_true true-stamped], built in one fused pass. Each
    // group's cross-entropy is a mean over the group, weighted: per-sample weights carry both.
    const int n_null = null_copies(n), n_true = true_copies(n);
    total = n + n_null + n_true;
    const size_t per = net_.input_shape().numel();
    xw_.resize(per * total);
    yw_.resize(total);
    batch_weights(n, n_null, n_true, 1.0f);
    cpu::watermark_batch(wm_->shape, wm_->pattern(), n, n_null, n_true, x, y, xw_.data(), yw_.data());
    x = xw_.data();
    y = yw_.data();
    weights = weights_.data();
    scale = 1.0f;
  }
  input_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - input_t0).count();
  dlogits_.resize(static_cast<size_t>(total) * k);
  pred_.resize(total);
  const float* logits = net_.forward(x, total, ctx);
  const XentResult r = cpu::softmax_xent(total, k, logits, y, weights, scale, dlogits_.data(), pred_.data(),
                                         static_cast<float>(params_.label_smoothing));
  const double loss = weights ? r.loss_sum : r.loss_sum / n;
  if (!std::isfinite(loss))
    throw fail("training diverged: the loss is ", loss, " at step ", global_step,
               " (lower the learning rate or lambda, or check the input normalisation)");
  long clean_correct = 0;
  for (int i = 0; i < n; ++i) clean_correct += pred_[i] == y[i];
  net_.backward(dlogits_.data(), ctx);
  opt_.step(net_.params(), net_.grads(), lr, trainable_from_);
  cpu::zero_entries(zeroed_.size(), zeroed_.data(), net_.params());
  return {loss, clean_correct};
}

EpochStats Trainer::run_epoch(const Dataset& data, long epoch, long& global_step, Progress* progress) {
  if (net_.device() == Device::CUDA) return run_epoch_on_device(data, epoch, global_step, progress);
  Batcher batches(data, params_.batch_size, seed_, true);
  batches.start_epoch(epoch);
  const long per_epoch = batches.batches();
  const long total = per_epoch * params_.epochs;
  x_.resize(static_cast<size_t>(params_.batch_size) * data.shape.numel());  // clean batch
  y_.resize(params_.batch_size);
  if (progress) progress->start("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(params_.epochs), per_epoch);
  const auto t0 = std::chrono::steady_clock::now();
  EpochStats s;
  double loss_sum = 0.0;
  long correct = 0;
  double gather_s = 0.0;
  input_s_ = 0.0;
  for (long b = 0; b < per_epoch; ++b) {
    const auto g0 = std::chrono::steady_clock::now();
    const int n = batches.gather(b, x_.data(), y_.data());
    gather_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - g0).count();
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
  s.input_s = gather_s + input_s_;
  return s;
}

}  // namespace nullmark
