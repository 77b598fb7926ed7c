// One training step and one epoch of supervised training over the network's flat buffers:
// forward, fused softmax-cross-entropy + gradient, backward, optimizer step. No allocation in the
// step: batch buffers are sized once.
#pragma once
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "datasets/batcher.h"
#include "train/progress.h"
#include "nn/lr_schedule.h"
#include "nn/network.h"
#include "nn/optimizer.h"
#include "watermark/derivation.h"
#include "watermark/embedding.h"

namespace nullmark {

struct TrainParams {
  int epochs = 10;
  int batch_size = 128;
  OptimizerConfig optimizer;
  LrSchedule schedule;
  double label_smoothing = 0.0;
  int crop_padding = 0;  // augmentation: random crop with this much zero padding (0 = off)
  bool flip = false;     // augmentation: random horizontal flip
  static TrainParams read(ConfigMap cfg);
};

struct StepResult {
  double loss = 0.0;  // the objective: weighted sum of the per-group mean cross-entropies
  long correct = 0;   // over the clean samples of the batch
};

struct EpochStats {
  double loss = 0.0, accuracy = 0.0, lr = 0.0, wall_s = 0.0, images_per_s = 0.0;
  // Batch assembly: gathering the shuffled samples, augmentation and watermark stamping. It runs on
  // the training thread between steps, so its share of wall time is what a slow loader would cost.
  double input_s = 0.0;
  long images = 0;
};

// Trains on the network's device. On CUDA the whole step (augmentation, watermark batch, forward,
// loss, backward, optimizer) runs on the GPU from a batch already in device memory, and the loss
// and accuracy are summed on the device and read only when progress is reported.
class Trainer {
 public:
  Trainer(Network& net, Optimizer& opt, const TrainParams& params, uint64_t seed);
  ~Trainer();
  Network& network() { return net_; }
  // Trains clean + null-stamped + true-stamped samples from now on (null embedding).
  void set_watermark(const Watermark& wm, const WatermarkTraining& training);
  // Only parameters from this offset on are updated (Network::param_offset(i) freezes layers < i).
  void set_trainable_from(size_t param_offset) { trainable_from_ = param_offset; }
  // Parameters held at zero after every step (pruned channels stay pruned while fine-tuning).
  void set_zeroed(const std::vector<size_t>& indices) {
    zeroed_.assign(indices.begin(), indices.end());
    zeroed_on_device_ = false;
  }
  // One optimizer step on (x, y) in host memory (CPU networks); `global_step` seeds stochastic layers.
  StepResult step(const float* x, const int32_t* y, int n, long global_step, float lr);
  // One step of a CUDA network on (x, y) in device memory; loss and correct count are added to the
  // device totals (read_totals).
  void step_on_device(const float* x, const int32_t* y, int n, long global_step, float lr);
  // Batch b of `batches` on a CUDA network: uploads it (pinned, asynchronous) and trains one step,
  // through a captured CUDA graph when graphs are on. `index` counts steps since the last
  // invalidate_graph(); returns the batch's sample count.
  int device_batch(Batcher& batches, long b, long index, long global_step, float lr);
  // CUDA graphs for the training step (`cuda.graph`): captured at the third step of an epoch (the
  // first two allocate and choose implementations), replayed for every full batch after it.
  void set_cuda_graph(bool on) { cuda_graph_ = on; }
  // Drops the captured graph: its buffers may move when the network runs other batch sizes.
  void invalidate_graph();
  // Summed loss (as StepResult::loss times n) and correct count since the last reset, copied to the host.
  StepResult read_totals();
  void reset_totals();
  // Epoch `epoch` (0-based) of `data`; global_step advances by the number of batches.
  EpochStats run_epoch(const Dataset& data, long epoch, long& global_step, Progress* progress);

 private:
  Network& net_;
  Optimizer& opt_;
  TrainParams params_;
  uint64_t seed_;
  size_t trainable_from_ = 0;
  std::vector<uint64_t> zeroed_;
  bool zeroed_on_device_ = false;  // CUDA: zeroed_ uploaded
  const Watermark* wm_ = nullptr;
  WatermarkTraining wm_training_;
  EpochStats run_epoch_on_device(const Dataset& data, long epoch, long& global_step, Progress* progress);
  // Null- and true-stamped copies that go with n clean samples (the watermark's fractions).
  int null_copies(int n) const { return static_cast<int>(std::lround(wm_training_.null_fraction * n)); }
  int true_copies(int n) const { return static_cast<int>(std::lround(wm_training_.true_fraction * n)); }
  // Weights of a watermark batch of n clean samples (clean, null, true groups); scale multiplies them.
  void batch_weights(int n, int n_null, int n_true, float scale);

  struct DeviceState;  // buffers of the CUDA step (experiments/trainer_device.cpp)
  bool cuda_graph_ = false;
  std::unique_ptr<DeviceState> device_;
  double input_s_ = 0.0;  // batch-assembly time inside step(), summed over the epoch
  std::vector<float> x_, xa_, xw_, dlogits_, weights_;
  std::vector<int32_t> y_, yw_, pred_;
};

}  // namespace nullmark
