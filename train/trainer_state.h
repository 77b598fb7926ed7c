// The trainer's private state, shared by train/trainer.cpp (the step and the epoch) and
// train/trainer_device.cpp (the CUDA feed and graph). Not for use outside train/.
#pragma once
#include <memory>

#include "kernels/cuda/runtime.h"
#include "nn/device_array.h"
#include "train/device_feed.h"
#include "train/trainer.h"

namespace nullmark {

// Everything a step writes besides the network, where the network lives: one set of buffers
// whatever the device.
struct Trainer::StepBuffers {
  explicit StepBuffers(Device d)
      : xa(d), xw(d), weights(d), dlogits(d), yw(d), pred(d), zeroed(d), bits(d), totals(d, 2) {}
  DeviceArray<float> xa, xw, weights, dlogits;  // augmented batch, watermark batch, group weights, dlogits
  DeviceArray<int32_t> yw, pred;                // watermark batch labels; CPU: predictions
  DeviceArray<uint64_t> zeroed;                 // indices of the parameters held at zero
  DeviceArray<uint8_t> bits;                    // the watermark's bits
  DeviceArray<double> totals;                   // summed loss (times n) and clean correct count
  int weights_for = -1, weights_for_all = -1;   // clean batch sizes (this rank, all) the weights were made for
  bool bits_placed = false;
};

// The CUDA input feed and the captured graph of the step.
struct Trainer::DeviceState {
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

}  // namespace nullmark
