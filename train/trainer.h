// One training step and one epoch of supervised training over the network's flat buffers:
// forward, fused softmax-cross-entropy + gradient, backward, optimizer step. No allocation in the
// step: batch buffers are sized once.
#pragma once
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "datasets/batcher.h"
#include "nn/lr_schedule.h"
#include "nn/network.h"
#include "nn/optimizer.h"
#include "train/data_parallel.h"
#include "train/progress.h"
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
  int parallel_ranks = 0;  // train.parallel.ranks: data-parallel over this many ranks (0 = no section)
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
  // Data-parallel on CPUs: summing gradients over the ranks, waiting for the slowest included.
  double allreduce_s = 0.0;
  long images = 0, steps = 0;  // images over all ranks
};

// Trains on the network's device with one step for either device: the step's buffers live where
// the network does, and the only copies are the batch's way in (train_batch). On CUDA the whole step
// (augmentation, watermark batch, forward, loss, backward, optimizer) runs on the GPU, optionally as
// a captured CUDA graph. Loss and accuracy are summed where the step runs and read when reported.
class Trainer {
 public:
  Trainer(Network& net, Optimizer& opt, const TrainParams& params, uint64_t seed);
  ~Trainer();
  Network& network() { return net_; }
  // Trains clean + null-stamped + true-stamped samples from now on (null embedding).
  void set_watermark(const Watermark& wm, const WatermarkTraining& training);
  // Trains this rank's shard of every batch and sums gradients over the ranks (`nullmark train`
  // with train.parallel); the trainer does not own `dp`.
  void set_data_parallel(DataParallel* dp) { dp_ = dp; }
  // Only parameters from this offset on are updated (Network::param_offset(i) freezes layers < i).
  void set_trainable_from(size_t param_offset) { trainable_from_ = param_offset; }
  // Parameters held at zero after every step (pruned channels stay pruned while fine-tuning).
  void set_zeroed(const std::vector<size_t>& indices) {
    zeroed_.assign(indices.begin(), indices.end());
    zeroed_placed_ = false;
  }
  // One optimizer step on the batch (x, y) of n clean samples, both in the network's memory (host
  // memory for a CPU network, device memory for a CUDA one); `global_step` seeds the stochastic
  // layers and the augmentation. The batch's loss and clean correct count are added to the totals.
  // A CPU step that diverges throws at once; a CUDA step is checked where the totals are read.
  void step(const float* x, const int32_t* y, int n, long global_step, float lr);
  // Batch b of `batches`, brought to the network's memory (on CUDA: pinned and asynchronous), then
  // one step (on CUDA through a captured graph when graphs are on; `index` counts steps since the
  // last invalidate_graph()). Returns the batch's sample count.
  int train_batch(Batcher& batches, long b, long index, long global_step, float lr);
  // CUDA graphs for the training step (`cuda.graph`): captured at the third step of an epoch (the
  // first two allocate and choose implementations), replayed for every full batch after it.
  void set_cuda_graph(bool on) { cuda_graph_ = on; }
  // Whether CUDA training holds the training set on the GPU and gathers batches there
  // (`cuda.resident_data`; train/device_feed.h): Auto where it takes at most a quarter of the free
  // memory. The batches are the same either way.
  enum class ResidentData { Auto, On, Off };
  void set_resident_data(ResidentData r) { resident_data_ = r; }
  // Drops the captured graph: its buffers may move when the network runs other batch sizes.
  void invalidate_graph();
  // Summed loss (as StepResult::loss times n) and correct count since the last reset, on the host.
  StepResult read_totals();
  void reset_totals();
  // Host seconds spent bringing batches in (and on the CPU, augmenting and stamping them) so far.
  double input_seconds() const;
  // Epoch `epoch` (0-based) of `data`; global_step advances by the number of batches.
  EpochStats run_epoch(const Dataset& data, long epoch, long& global_step, Progress* progress);

 private:
  Network& net_;
  Optimizer& opt_;
  TrainParams params_;
  uint64_t seed_;
  size_t trainable_from_ = 0;
  std::vector<uint64_t> zeroed_;
  bool zeroed_placed_ = false;  // zeroed_ copied into the step buffers
  const Watermark* wm_ = nullptr;
  WatermarkTraining wm_training_;
  // Null- and true-stamped copies that go with n clean samples (the watermark's fractions).
  int null_copies(int n) const { return static_cast<int>(std::lround(wm_training_.null_fraction * n)); }
  int true_copies(int n) const { return static_cast<int>(std::lround(wm_training_.true_fraction * n)); }
  // Stamped copies over all ranks for a batch of n_all clean samples (each rank stamps its shard's share).
  int copies_over_ranks(int n_all, double fraction) const;
  // Weights of a watermark batch of n clean samples (clean, null, true groups) when the batch over
  // all ranks has n_all, null_all and true_all of them; scale multiplies them.
  void batch_weights(int n, int n_null, int n_true, int n_all, int null_all, int true_all, float scale);
  DataParallel* dp_ = nullptr;
  // The batch over all ranks that the step's n samples belong to: its size and their position in it
  // (set by train_batch; a plain step() is the whole batch).
  struct Shard {
    int total = 0, begin = 0;
  } shard_;
  void check_parallel() const;

  struct StepBuffers;  // the step's buffers, on the network's device
  std::unique_ptr<StepBuffers> buffers_;
  StepBuffers& buffers();
  struct DeviceState;  // the CUDA input feed and graph (train/trainer_device.cpp)
  std::unique_ptr<DeviceState> device_;
  // train_batch on a CUDA network: the pinned feed, and the graph when graphs are on.
  int cuda_batch(Batcher& batches, long b, long index, long global_step, float lr);
  bool cuda_graph_ = false;
  ResidentData resident_data_ = ResidentData::Auto;
  double input_s_ = 0.0;            // CPU: gathering, augmenting and stamping, summed
  std::vector<float> x_, weights_;  // CPU: the gathered batch; the group weights (both devices)
  std::vector<int32_t> y_;
};

}  // namespace nullmark
