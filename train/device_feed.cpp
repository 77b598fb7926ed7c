#include "train/device_feed.h"

#include <chrono>
#include <cstdint>

namespace nullmark {

DeviceFeed::DeviceFeed(const cuda::Context& gpu, size_t per_sample, int batch)
    : gpu_(gpu),
      per_(per_sample),
      batch_(batch),
      x_(Device::CUDA, per_sample * static_cast<size_t>(batch)),
      y_(Device::CUDA, static_cast<size_t>(batch)) {
  for (int s = 0; s < 2; ++s) {
    host_x_[s] = static_cast<float*>(cuda::alloc_pinned(per_ * batch_ * sizeof(float)));
    host_y_[s] = static_cast<int32_t*>(cuda::alloc_pinned(batch_ * sizeof(int32_t)));
    uploaded_[s] = cuda::create_event();
    cuda::record_event(gpu_, uploaded_[s]);
  }
}

DeviceFeed::~DeviceFeed() {
  for (int s = 0; s < 2; ++s) {
    cuda::destroy_event(uploaded_[s]);
    cuda::free_pinned(host_x_[s]);
    cuda::free_pinned(host_y_[s]);
  }
}

int DeviceFeed::next(Batcher& batches, long b) {
  slot_ ^= 1;
  // This buffer's previous upload must be done before it is refilled. That upload was queued behind
  // the step before last, so while the GPU is the bottleneck the host waits here: the GPU's time,
  // not the input pipeline's, and not counted in host_seconds().
  cuda::wait_event(uploaded_[slot_]);
  const auto t0 = std::chrono::steady_clock::now();
  const int n = batches.gather(b, host_x_[slot_], host_y_[slot_]);
  cuda::copy_to_device_async(gpu_, x_.data(), host_x_[slot_], per_ * n * sizeof(float));
  cuda::copy_to_device_async(gpu_, y_.data(), host_y_[slot_], n * sizeof(int32_t));
  cuda::record_event(gpu_, uploaded_[slot_]);
  host_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return n;
}

}  // namespace nullmark
