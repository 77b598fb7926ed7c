// The training step of a CUDA network: every stage on the GPU, batch already in device memory, no
// copy to or from the host inside the step (the loss is summed on the device; the learning rate and
// seeds are kernel arguments).
#include <chrono>
#include <cmath>
#include <cstdint>

#include "common/error.h"
#include "train/device_feed.h"
#include "train/trainer.h"
#include "kernels/augment.h"
#include "kernels/cuda/runtime.h"
#include "kernels/optimizers.h"
#include "kernels/softmax_xent.h"
#include "kernels/watermark_batch.h"

namespace nullmark {

struct Trainer::DeviceState {
  DeviceArray<float> xa{Device::CUDA}, xw{Device::CUDA}, weights{Device::CUDA}, dlogits{Device::CUDA};
  DeviceArray<int32_t> yw{Device::CUDA};
  DeviceArray<uint64_t> zeroed{Device::CUDA};  // indices of the parameters held at zero
  DeviceArray<uint8_t> bits{Device::CUDA};
  DeviceArray<double> totals{Device::CUDA, 2};
  int weights_for = -1;  // clean batch size the uploaded weights were made for
  std::unique_ptr<DeviceFeed> feed;  // kept for the trainer's life: a graph holds its buffer addresses
  // CUDA graph state: the step's scalars on the device, staged through two pinned slots.
  DeviceArray<cuda::StepScalars> scalars{Device::CUDA, 1};
  cuda::StepScalars* staged[2] = {nullptr, nullptr};
  void* staged_done[2] = {nullptr, nullptr};
  void* graph = nullptr;
  int graph_n = 0;  // clean batch size the graph was captured with
  ~DeviceState() {
    cuda::destroy_graph(graph);
    for (int s = 0; s < 2; ++s) {
      cuda::free_pinned(staged[s]);
      cuda::destroy_event(staged_done[s]);
    }
  }
};

void Trainer::invalidate_graph() {
  if (!device_ || !device_->graph) return;
  cuda::destroy_graph(device_->graph);
  device_->graph = nullptr;
}

int Trainer::device_batch(Batcher& batches, long b, long index, long global_step, float lr) {
  if (!device_) device_ = std::make_unique<DeviceState>();
  DeviceState& d = *device_;
  if (!d.feed) d.feed = std::make_unique<DeviceFeed>(net_.input_shape().numel(), params_.batch_size);
  const int n = d.feed->next(batches, b);
  if (!cuda_graph_) {
    step_on_device(d.feed->x(), d.feed->y(), n, global_step, lr);
    return n;
  }
  // The step's scalars go to the device ahead of the step (a pinned slot is reused only after its
  // previous copy has run); the kernels read them from there, captured or not.
  const int slot = static_cast<int>(global_step & 1);
  if (!d.staged[slot]) {
    d.staged[slot] = static_cast<cuda::StepScalars*>(cuda::alloc_pinned(sizeof(cuda::StepScalars)));
    d.staged_done[slot] = cuda::create_event();
  } else {
    cuda::wait_event(d.staged_done[slot]);
  }
  cuda::StepScalars& s = *d.staged[slot];
  s.step = static_cast<uint64_t>(global_step);
  s.first = static_cast<uint64_t>(global_step) * params_.batch_size;
  opt_.next_step_scalars(lr, s);
  cuda::copy_to_device_async(d.scalars.data(), &s, sizeof s);
  cuda::record_event(d.staged_done[slot]);
  cuda::set_step_scalars(d.scalars.data());
  if (d.graph && n == d.graph_n) {
    cuda::launch_graph(d.graph);
    opt_.count_replayed_step();
  } else if (!d.graph && index >= 2 && n == params_.batch_size) {
    cuda::begin_capture();
    step_on_device(d.feed->x(), d.feed->y(), n, global_step, lr);  // recorded, not run
    d.graph = cuda::end_capture();
    d.graph_n = n;
    cuda::launch_graph(d.graph);
  } else {
    step_on_device(d.feed->x(), d.feed->y(), n, global_step, lr);
  }
  cuda::set_step_scalars(nullptr);
  return n;
}

// Defined here, where DeviceState is complete.
Trainer::Trainer(Network& net, Optimizer& opt, const TrainParams& params, uint64_t seed)
    : net_(net), opt_(opt), params_(params), seed_(seed) {}
Trainer::~Trainer() = default;

void Trainer::reset_totals() {
  if (device_) device_->totals.resize(2);
}

StepResult Trainer::read_totals() {
  if (!device_) return {};
  const std::vector<double> t = device_->totals.download();
  return {t[0], static_cast<long>(std::llround(t[1]))};
}

void Trainer::step_on_device(const float* x, const int32_t* y, int n, long global_step, float lr) {
#if NULLMARK_WITH_CUDA
  NM_CHECK(net_.device() == Device::CUDA, "step_on_device needs a network on CUDA");
  if (!device_) device_ = std::make_unique<DeviceState>();
  DeviceState& d = *device_;
  LayerContext ctx;
  ctx.training = true;
  ctx.seed = seed_;
  ctx.step = static_cast<uint64_t>(global_step);
  const Shape& in = net_.input_shape();
  const size_t per = in.numel();
  const int k = static_cast<int>(net_.output_shape().numel());
  if (params_.crop_padding > 0 || params_.flip) {
    d.xa.ensure(per * n);
    cuda::augment_crop_flip(ImageShape{in[0], in[1], in[2]}, n, params_.crop_padding, params_.flip, seed_,
                            static_cast<uint64_t>(global_step) * params_.batch_size, x, d.xa.data());
    x = d.xa.data();
  }
  // Losses are summed as n * (the step's objective): weights scaled by n, gradients by 1/n.
  int total = n;
  const float* weights = nullptr;
  if (wm_) {
    const int n_null = null_copies(n), n_true = true_copies(n);
    total = n + n_null + n_true;
    if (d.bits.size() == 0) {
      d.bits.resize(wm_->bits.size());
      d.bits.upload(wm_->bits.data(), wm_->bits.size());
    }
    if (d.weights_for != n) {
      batch_weights(n, n_null, n_true, static_cast<float>(n));
      d.weights.ensure(weights_.size());
      d.weights.upload(weights_.data(), weights_.size());
      d.weights_for = n;
    }
    d.xw.ensure(per * total);
    d.yw.ensure(total);
    WatermarkPattern p = wm_->pattern();
    p.bits = d.bits.data();
    cuda::watermark_batch(wm_->shape, p, n, n_null, n_true, x, y, d.xw.data(), d.yw.data());
    x = d.xw.data();
    y = d.yw.data();
    weights = d.weights.data();
  }
  d.dlogits.ensure(static_cast<size_t>(total) * k);
  const float* logits = net_.forward_on_device(x, total, ctx);
  cuda::softmax_xent(total, k, logits, y, weights, 1.0f / n, d.dlogits.data(), nullptr,
                     static_cast<float>(params_.label_smoothing), d.totals.data(), n);
  net_.backward(d.dlogits.data(), ctx);
  opt_.step(net_.params(), net_.grads(), lr, trainable_from_);
  if (!zeroed_.empty()) {
    if (!zeroed_on_device_) {
      d.zeroed.resize(zeroed_.size());
      d.zeroed.upload(zeroed_.data(), zeroed_.size());
      zeroed_on_device_ = true;
    }
    cuda::zero_entries(zeroed_.size(), d.zeroed.data(), net_.params());
  }
#else
  (void)x, (void)y, (void)n, (void)global_step, (void)lr;
  throw fail("this nullmark was built without the CUDA backend");
#endif
}

EpochStats Trainer::run_epoch_on_device(const Dataset& data, long epoch, long& global_step, Progress* progress) {
  Batcher batches(data, params_.batch_size, seed_, true);
  batches.start_epoch(epoch);
  const long per_epoch = batches.batches();
  const long total = per_epoch * params_.epochs;
  if (!device_) device_ = std::make_unique<DeviceState>();
  reset_totals();
  invalidate_graph();  // evaluation between epochs may have moved the network's buffers
  if (progress) progress->start("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(params_.epochs), per_epoch);
  const auto t0 = std::chrono::steady_clock::now();
  EpochStats s;
  StepResult sums;
  const double input_before = device_->feed ? device_->feed->host_seconds() : 0.0;
  for (long b = 0; b < per_epoch; ++b) {
    s.lr = params_.schedule.at(opt_.config().lr(), global_step, per_epoch, total);
    const int n = device_batch(batches, b, b, global_step, static_cast<float>(s.lr));
    ++global_step;
    s.images += n;
    // The totals come back (a synchronisation) only when progress is shown and at the end.
    if (b + 1 == per_epoch || (progress && (b + 1) % 20 == 0)) {
      sums = read_totals();
      if (!std::isfinite(sums.loss))
        throw fail("training diverged: the loss is ", sums.loss, " by step ", global_step,
                   " (lower the learning rate or lambda, or check the input normalisation)");
      if (progress) progress->update(b + 1, sums.loss / s.images, static_cast<double>(sums.correct) / s.images, s.images);
    }
  }
  if (progress) progress->finish();
  cuda::synchronize();
  s.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s.loss = sums.loss / s.images;
  s.accuracy = static_cast<double>(sums.correct) / s.images;
  s.images_per_s = s.images / s.wall_s;
  s.input_s = device_->feed ? device_->feed->host_seconds() - input_before : 0.0;
  return s;
}

}  // namespace nullmark
