#include "train/device_feed.h"

#include <chrono>
#include <cstdint>
#include <cstring>

#include "kernels/cuda/device.h"
#include "kernels/gather.h"

namespace nullmark {

DeviceFeed::DeviceFeed(const cuda::Context& gpu, size_t per_sample, int batch, const Dataset* resident)
    : gpu_(gpu),
      per_(per_sample),
      batch_(batch),
      resident_(resident),
      x_(Device::CUDA, per_sample * static_cast<size_t>(batch)),
      y_(Device::CUDA, static_cast<size_t>(batch)) {
  const size_t slot_bytes = resident ? batch_ * sizeof(uint32_t) : per_ * batch_ * sizeof(float) + batch_ * sizeof(int32_t);
  for (int s = 0; s < 2; ++s) {
    host_[s] = cuda::alloc_pinned(slot_bytes);
    uploaded_[s] = cuda::create_event();
    cuda::record_event(gpu_, uploaded_[s]);
  }
  if (resident) {
    images_ = DeviceArray<float>(Device::CUDA, resident->images.size());
    images_.upload(resident->images.data(), resident->images.size());
    labels_ = DeviceArray<int32_t>(Device::CUDA, resident->labels.size());
    labels_.upload(resident->labels.data(), resident->labels.size());
    rows_ = DeviceArray<uint32_t>(Device::CUDA, static_cast<size_t>(batch));
  }
}

DeviceFeed::~DeviceFeed() {
  for (int s = 0; s < 2; ++s) {
    cuda::destroy_event(uploaded_[s]);
    cuda::free_pinned(host_[s]);
  }
}

bool DeviceFeed::fits_resident(const Dataset& data) {
  return data.images.size() * sizeof(float) <= cuda::free_memory() / 4;
}

int DeviceFeed::next(Batcher& batches, long b) {
  if (resident_) return next_resident(batches, b);
  slot_ ^= 1;
  // This buffer's previous upload must be done before it is refilled. That upload was queued behind
  // the step before last, so while the GPU is the bottleneck the host waits here: the GPU's time,
  // not the input pipeline's, and not counted in host_seconds().
  cuda::wait_event(uploaded_[slot_]);
  const auto t0 = std::chrono::steady_clock::now();
  float* hx = static_cast<float*>(host_[slot_]);
  int32_t* hy = reinterpret_cast<int32_t*>(hx + per_ * batch_);
  const int n = batches.gather(b, hx, hy);
  cuda::copy_to_device_async(gpu_, x_.data(), hx, per_ * n * sizeof(float));
  cuda::copy_to_device_async(gpu_, y_.data(), hy, n * sizeof(int32_t));
  cuda::record_event(gpu_, uploaded_[slot_]);
  host_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return n;
}

int DeviceFeed::next_resident(Batcher& batches, long b) {
  NM_CHECK(&batches.data() == resident_, "device feed: the batches come from another data set than the one on the GPU");
  slot_ ^= 1;
  cuda::wait_event(uploaded_[slot_]);  // as above: the GPU's time
  const auto t0 = std::chrono::steady_clock::now();
  const auto [rows, n] = batches.rows(b);
  std::memcpy(host_[slot_], rows, n * sizeof(uint32_t));
  cuda::copy_to_device_async(gpu_, rows_.data(), host_[slot_], n * sizeof(uint32_t));
  cuda::record_event(gpu_, uploaded_[slot_]);
  NM_GPU(cuda::gather_rows(gpu_, n, per_, rows_.data(), images_.data(), labels_.data(), x_.data(), y_.data()));
  host_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return n;
}

}  // namespace nullmark
