// The CUDA side of the trainer: batches fed through pinned double buffers, and the step captured
// once as a CUDA graph and replayed. The step itself is the one of train/trainer.cpp.
#include <cstdint>

#include "common/error.h"
#include "train/trainer_state.h"

namespace nullmark {

void Trainer::invalidate_graph() {
  if (!device_ || !device_->graph) return;
  cuda::destroy_graph(device_->graph);
  device_->graph = nullptr;
}

int Trainer::cuda_batch(Batcher& batches, long b, long index, long global_step, float lr) {
  if (!device_) device_ = std::make_unique<DeviceState>();
  DeviceState& d = *device_;
  cuda::Context& gpu = net_.gpu();
  const Dataset& data = batches.data();
  if (d.feed && d.feed->resident_data() && d.feed->resident_data() != &data) {
    invalidate_graph();  // the graph reads the feed's buffers: a new data set, a new feed
    d.feed.reset();
  }
  if (!d.feed) {
    const bool resident = resident_data_ == ResidentData::On ||
                          (resident_data_ == ResidentData::Auto && DeviceFeed::fits_resident(data));
    d.feed = std::make_unique<DeviceFeed>(gpu, net_.input_shape().numel(), params_.batch_size,
                                          resident ? &data : nullptr);
  }
  const int n = d.feed->next(batches, b);
  // Data-parallel steps are not captured: the all-reduce runs outside a graph.
  if (!cuda_graph_ || dp_) {
    step(d.feed->x(), d.feed->y(), n, global_step, lr);
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
  cuda::copy_to_device_async(gpu, d.scalars.data(), &s, sizeof s);
  cuda::record_event(gpu, d.staged_done[slot]);
  gpu.set_step_scalars(d.scalars.data());
  if (d.graph && n == d.graph_n) {
    cuda::launch_graph(gpu, d.graph);
    opt_.count_replayed_step();
  } else if (!d.graph && index >= 2 && n == params_.batch_size) {
    cuda::begin_capture(gpu);
    step(d.feed->x(), d.feed->y(), n, global_step, lr);  // recorded, not run
    d.graph = cuda::end_capture(gpu);
    d.graph_n = n;
    cuda::launch_graph(gpu, d.graph);
  } else {
    step(d.feed->x(), d.feed->y(), n, global_step, lr);
  }
  gpu.set_step_scalars(nullptr);
  return n;
}

}  // namespace nullmark
