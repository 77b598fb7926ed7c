// Keeps the GPU fed: batches are gathered on the host into one of two page-locked buffers and
// uploaded asynchronously on the network's CUDA context's stream, so the host assembles batch b+1 while the GPU still
// trains on batch b (kernel launches return at once). A buffer is reused only after the event
// recorded behind its upload has passed.
#pragma once
#include <cstdint>

#include "datasets/batcher.h"
#include "nn/device_array.h"

namespace nullmark {

class DeviceFeed {
 public:
  DeviceFeed(const cuda::Context& gpu, size_t per_sample, int batch);
  ~DeviceFeed();
  DeviceFeed(const DeviceFeed&) = delete;
  DeviceFeed& operator=(const DeviceFeed&) = delete;

  // Gathers batch b of `batches` and queues its upload; returns the sample count. x() and y() are
  // valid for kernels issued afterwards on the same stream.
  int next(Batcher& batches, long b);
  const float* x() const { return x_.data(); }
  // Host seconds spent in next() so far gathering and queueing uploads: the input pipeline's cost.
  // Waiting for a buffer the GPU still reads is not counted (it measures the GPU, not the input).
  double host_seconds() const { return host_s_; }
  const int32_t* y() const { return y_.data(); }

 private:
  const cuda::Context& gpu_;
  size_t per_;
  int batch_;
  float* host_x_[2] = {nullptr, nullptr};
  int32_t* host_y_[2] = {nullptr, nullptr};
  void* uploaded_[2] = {nullptr, nullptr};  // events behind each buffer's last upload
  int slot_ = 0;
  double host_s_ = 0.0;
  DeviceArray<float> x_;
  DeviceArray<int32_t> y_;
};

}  // namespace nullmark
