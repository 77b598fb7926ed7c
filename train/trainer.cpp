#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "common/error.h"
#include "kernels/augment.h"
#include "kernels/cuda/runtime.h"
#include "kernels/optimizers.h"
#include "kernels/softmax_xent.h"
#include "kernels/watermark_batch.h"
#include "train/trainer_state.h"

namespace nullmark {

namespace {
// A loss that is not finite stops training: "at" the step that made it (CPU, checked every step) or
// "by" the step at which the device totals were read (GPU).
void check_finite(double loss, const char* when, long global_step) {
  if (!std::isfinite(loss))
    throw fail("training diverged: the loss is ", loss, " ", when, " step ", global_step,
               " (lower the learning rate or lambda, or check the input normalisation)");
}
}  // namespace

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
  if (cfg.has("parallel")) {
    ConfigMap par = cfg.section("parallel");
    p.parallel_ranks = static_cast<int>(par.integer("ranks", 1, 1, 4096));
    par.finish();
    if (p.parallel_ranks > p.batch_size)
      throw fail("train.parallel.ranks (", p.parallel_ranks, ") exceeds train.batch_size (", p.batch_size,
                 "): every rank needs a share of each batch");
  }
  cfg.finish();
  return p;
}

void Trainer::batch_weights(int n, int n_null, int n_true, int n_all, int null_all, int true_all, float scale) {
  weights_.assign(n, static_cast<float>(scale * wm_training_.clean_weight / n_all));
  weights_.resize(n + n_null, null_all ? static_cast<float>(scale * wm_training_.null_weight / null_all) : 0.0f);
  weights_.resize(n + n_null + n_true, true_all ? static_cast<float>(scale * wm_training_.true_weight / true_all) : 0.0f);
}

int Trainer::copies_over_ranks(int n_all, double fraction) const {
  const int parts = dp_ ? dp_->ranks() : 1;
  int copies = 0;
  for (int r = 0; r < parts; ++r) {
    const std::pair<int, int> s = Batcher::shard_range(n_all, r, parts);
    copies += static_cast<int>(std::lround(fraction * (s.second - s.first)));
  }
  return copies;
}

void Trainer::check_parallel() const {
  if (params_.parallel_ranks > 0 && !dp_)
    throw fail("train.parallel is honoured by `nullmark train` only (started under mpirun); drop it from this "
               "config for other commands");
}

void Trainer::set_watermark(const Watermark& wm, const WatermarkTraining& training) {
  if (training.clean_batchnorm_statistics && net_.buffer_count() == 0)
    throw fail("watermark.batchnorm_statistics: clean chooses where batch norm takes its statistics, and this "
               "model has no batchnorm layer; drop the key");
  wm_ = &wm;
  wm_training_ = training;
  if (buffers_) buffers_->bits_placed = false, buffers_->weights_for = -1;
}

// Defined here, where the state is complete.
Trainer::Trainer(Network& net, Optimizer& opt, const TrainParams& params, uint64_t seed)
    : net_(net), opt_(opt), params_(params), seed_(seed) {}
Trainer::~Trainer() = default;

Trainer::StepBuffers& Trainer::buffers() {
  if (!buffers_ || buffers_->totals.device() != net_.device()) {
    buffers_ = std::make_unique<StepBuffers>(net_.device());
    zeroed_placed_ = false;
  }
  return *buffers_;
}

void Trainer::step(const float* x, const int32_t* y, int n, long global_step, float lr) {
  StepBuffers& d = buffers();
  const bool gpu = net_.device() == Device::CUDA;
  // Over all ranks of a data-parallel job, the batch has n_all clean samples, this rank's n from
  // position `begin` on; weights and loss scale use n_all, so the summed gradients are the batch's.
  const int n_all = shard_.total > 0 ? shard_.total : n;
  const int begin = shard_.total > 0 ? shard_.begin : 0;
  LayerContext ctx;
  ctx.training = true;
  // The batch starts with its n clean samples (watermark_batch's layout below).
  if (wm_ && wm_training_.clean_batchnorm_statistics) ctx.stat_samples = n;
  // Stochastic layers (dropout) draw per rank: the same seed would repeat one mask on every shard.
  ctx.seed = dp_ && dp_->rank() > 0 ? seed_ + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(dp_->rank()) : seed_;
  ctx.step = static_cast<uint64_t>(global_step);
  const Shape& in = net_.input_shape();
  const size_t per = in.numel();
  const int k = static_cast<int>(net_.output_shape().numel());
  const auto input_t0 = std::chrono::steady_clock::now();
  if (params_.crop_padding > 0 || params_.flip) {
    // Augment the clean images first: stamping acts on the model's input after preprocessing.
    d.xa.ensure(per * n);
    const ImageShape s{in[0], in[1], in[2]};
    // Sample i of the batch draws its crop and flip from its position over all ranks.
    const uint64_t first = static_cast<uint64_t>(global_step) * params_.batch_size + begin;
    if (gpu)
      NM_GPU(cuda::augment_crop_flip(net_.gpu(), s, n, params_.crop_padding, params_.flip, seed_, first, x, d.xa.data()));
    else
      cpu::augment_crop_flip(s, n, params_.crop_padding, params_.flip, seed_, first, x, d.xa.data());
    x = d.xa.data();
  }
  // The loss's scaling: the CPU sums each group's mean cross-entropy (weights 1/group size, or a
  // plain mean without a watermark); the GPU sums n times that (weights scaled by n, gradients by
  // 1/n), so its device totals need no division. The gradients are the same.
  int total = n;
  const float* weights = nullptr;
  float scale = 1.0f / n_all;
  if (wm_) {
    // Batch = [n clean | n_null null-stamped | n_true true-stamped], built in one fused pass.
    const int n_null = null_copies(n), n_true = true_copies(n);
    total = n + n_null + n_true;
    if (!d.bits_placed) {
      d.bits.ensure(wm_->bits.size());
      d.bits.upload(wm_->bits.data(), wm_->bits.size());
      d.bits_placed = true;
    }
    if (d.weights_for != n || d.weights_for_all != n_all) {
      batch_weights(n, n_null, n_true, n_all, copies_over_ranks(n_all, wm_training_.null_fraction),
                    copies_over_ranks(n_all, wm_training_.true_fraction), gpu ? static_cast<float>(n_all) : 1.0f);
      d.weights.ensure(weights_.size());
      d.weights.upload(weights_.data(), weights_.size());
      d.weights_for = n;
      d.weights_for_all = n_all;
    }
    d.xw.ensure(per * total);
    d.yw.ensure(total);
    WatermarkPattern p = wm_->pattern();
    p.bits = d.bits.data();
    if (gpu)
      NM_GPU(cuda::watermark_batch(net_.gpu(), wm_->shape, p, n, n_null, n_true, x, y, d.xw.data(), d.yw.data()));
    else
      cpu::watermark_batch(wm_->shape, p, n, n_null, n_true, x, y, d.xw.data(), d.yw.data());
    x = d.xw.data();
    y = d.yw.data();
    weights = d.weights.data();
    if (!gpu) scale = 1.0f;
  }
  if (!gpu) input_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - input_t0).count();
  d.dlogits.ensure(static_cast<size_t>(total) * k);
  const float* logits = net_.forward(x, total, ctx);
  const float smoothing = static_cast<float>(params_.label_smoothing);
  if (gpu) {
    NM_GPU(cuda::softmax_xent(net_.gpu(), total, k, logits, y, weights, scale, d.dlogits.data(), nullptr, smoothing,
                              d.totals.data(), n));
  } else {
    d.pred.ensure(total);
    const XentResult r =
        cpu::softmax_xent(total, k, logits, y, weights, scale, d.dlogits.data(), d.pred.data(), smoothing);
    // This rank's share of the batch's loss; the shares add up to the loss over all ranks.
    const double loss = weights ? r.loss_sum : r.loss_sum / n_all;
    check_finite(loss, "at", global_step);
    long clean_correct = 0;
    for (int i = 0; i < n; ++i) clean_correct += d.pred.data()[i] == y[i];
    d.totals.data()[0] += loss * n_all;
    d.totals.data()[1] += static_cast<double>(clean_correct);
  }
  // With nothing trainable (batch-norm re-estimation) the forward pass alone does the work: it
  // moves the running statistics, and gradients nobody applies would only cost a backward pass.
  if (trainable_from_ < net_.param_count()) {
    net_.backward(d.dlogits.data(), ctx);
    if (dp_) dp_->sum_gradients(net_, trainable_from_);
    opt_.step(net_.params(), net_.grads(), lr, trainable_from_);
  }
  if (!zeroed_.empty()) {
    if (!zeroed_placed_) {
      d.zeroed.resize(zeroed_.size());
      d.zeroed.upload(zeroed_.data(), zeroed_.size());
      zeroed_placed_ = true;
    }
    if (gpu)
      NM_GPU(cuda::zero_entries(net_.gpu(), zeroed_.size(), d.zeroed.data(), net_.params()));
    else
      cpu::zero_entries(zeroed_.size(), d.zeroed.data(), net_.params());
  }
}

int Trainer::train_batch(Batcher& batches, long b, long index, long global_step, float lr) {
  check_parallel();
  shard_ = {batches.batch_samples(b), batches.shard_begin(b)};
  struct Reset {
    Shard& s;
    ~Reset() { s = {}; }
  } reset{shard_};
  if (net_.device() == Device::CUDA) return cuda_batch(batches, b, index, global_step, lr);
  const size_t per = net_.input_shape().numel();
  if (y_.size() < static_cast<size_t>(batches.batch_size())) {
    x_.resize(per * batches.batch_size());
    y_.resize(batches.batch_size());
  }
  const auto t0 = std::chrono::steady_clock::now();
  const int n = batches.gather(b, x_.data(), y_.data());
  input_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  step(x_.data(), y_.data(), n, global_step, lr);
  return n;
}

void Trainer::reset_totals() { buffers().totals.resize(2); }

StepResult Trainer::read_totals() {
  std::vector<double> t = buffers().totals.download();
  if (dp_) dp_->sum_totals(t.data(), t.size());
  return {t[0], static_cast<long>(std::llround(t[1]))};
}

double Trainer::input_seconds() const {
  if (net_.device() == Device::CUDA) return device_ && device_->feed ? device_->feed->host_seconds() : 0.0;
  return input_s_;
}

EpochStats Trainer::run_epoch(const Dataset& data, long epoch, long& global_step, Progress* progress) {
  const bool gpu = net_.device() == Device::CUDA;
  check_parallel();
  Batcher batches(data, params_.batch_size, seed_, true);
  if (dp_) batches.set_shard(dp_->rank(), dp_->ranks());
  if (dp_ && batches.batch_samples(batches.batches() - 1) < dp_->ranks())
    throw fail("data-parallel training: the last batch of each epoch has ", batches.batch_samples(batches.batches() - 1),
               " samples, fewer than the ", dp_->ranks(), " ranks (choose another batch_size)");
  batches.start_epoch(epoch);
  const long per_epoch = batches.batches();
  const long total = per_epoch * params_.epochs;
  reset_totals();
  invalidate_graph();  // evaluation between epochs may have moved the network's buffers
  if (progress) progress->start("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(params_.epochs), per_epoch);
  const auto t0 = std::chrono::steady_clock::now();
  EpochStats s;
  StepResult sums;
  const double input_before = input_seconds();
  const double reduce_before = dp_ ? dp_->gradient_seconds() : 0.0;
  for (long b = 0; b < per_epoch; ++b) {
    s.lr = params_.schedule.at(opt_.config().lr(), global_step, per_epoch, total);
    try {
      train_batch(batches, b, b, global_step, static_cast<float>(s.lr));
    } catch (const cuda::OutOfDeviceMemory& e) {  // the step's buffers are sized by the batch
      throw fail("train.batch_size ", params_.batch_size, " does not fit: ", e.what(), "; lower train.batch_size");
    }
    ++global_step;
    s.images += batches.batch_samples(b);  // over all ranks
    // On the GPU the totals come back (a synchronisation) only when progress is shown and at the end;
    // over ranks, reading them is a collective sum, so it keeps the same cadence.
    if (b + 1 == per_epoch || (progress && ((!gpu && !dp_) || (b + 1) % 20 == 0))) {
      sums = read_totals();
      check_finite(sums.loss, "by", global_step);
      if (progress)
        progress->update(b + 1, sums.loss / s.images, static_cast<double>(sums.correct) / s.images, s.images);
    }
  }
  if (progress) progress->finish();
  if (gpu) net_.gpu().synchronize();
  if (dp_) dp_->average_buffers(net_);  // part of training: every rank continues from the same statistics
  // The epoch's time ends here: the ranks' agreement check below verifies, it does not train.
  s.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (dp_) dp_->check_in_step(net_, "in epoch " + std::to_string(epoch + 1));
  s.loss = sums.loss / s.images;
  s.accuracy = static_cast<double>(sums.correct) / s.images;
  s.images_per_s = s.images / s.wall_s;
  s.input_s = input_seconds() - input_before;
  s.steps = per_epoch;
  s.allreduce_s = dp_ ? dp_->gradient_seconds() - reduce_before : 0.0;
  return s;
}

}  // namespace nullmark
