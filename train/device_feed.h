// Keeps the GPU fed. Two modes:
// - Host-assembled: batches are gathered on the host into one of two page-locked buffers and uploaded
//   asynchronously on the network's CUDA context's stream, so the host assembles batch b+1 while the
//   GPU still trains on batch b (kernel launches return at once).
// - Resident: the training set is uploaded once, and per batch only its row numbers travel (a few
//   hundred bytes, through the same two page-locked buffers); a kernel gathers the rows on the GPU
//   (kernels/gather.h), so the host only launches work.
// A page-locked buffer is reused only after the event recorded behind its upload has passed. Both
// modes give the same batches, bit for bit.
#pragma once
#include <cstdint>

#include "datasets/batcher.h"
#include "nn/device_array.h"

namespace nullmark {

class DeviceFeed {
 public:
  // `resident`: the data set to hold on the GPU (null: host-assembled batches).
  DeviceFeed(const cuda::Context& gpu, size_t per_sample, int batch, const Dataset* resident = nullptr);
  ~DeviceFeed();
  DeviceFeed(const DeviceFeed&) = delete;
  DeviceFeed& operator=(const DeviceFeed&) = delete;

  // Queues batch b of `batches` (gathered on the host, or its rows on the GPU); returns the sample
  // count. x() and y() are valid for kernels issued afterwards on the same stream.
  int next(Batcher& batches, long b);
  const float* x() const { return x_.data(); }
  // Host seconds spent in next() so far gathering and queueing uploads: the input pipeline's cost.
  // Waiting for a buffer the GPU still reads is not counted (it measures the GPU, not the input).
  double host_seconds() const { return host_s_; }
  const int32_t* y() const { return y_.data(); }
  const Dataset* resident_data() const { return resident_; }  // null: host-assembled

  // Whether holding `data` on the GPU leaves room to train: its images take at most a quarter of
  // the device memory free now.
  static bool fits_resident(const Dataset& data);

 private:
  int next_resident(Batcher& batches, long b);

  const cuda::Context& gpu_;
  size_t per_;
  int batch_;
  const Dataset* resident_;
  void* host_[2] = {nullptr, nullptr};      // page-locked: a batch's images then labels, or its rows
  void* uploaded_[2] = {nullptr, nullptr};  // events behind each buffer's last upload
  int slot_ = 0;
  double host_s_ = 0.0;
  DeviceArray<float> x_;
  DeviceArray<int32_t> y_;
  DeviceArray<float> images_;    // resident: the data set's images
  DeviceArray<int32_t> labels_;  // resident: its labels
  DeviceArray<uint32_t> rows_;   // resident: the rows of the batch being gathered
};

}  // namespace nullmark
