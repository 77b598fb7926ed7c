// An owning array on one device: a std::vector on the CPU, cudaMalloc'd memory on the GPU (through
// kernels/cuda/runtime.h, so this header needs no CUDA). New storage is zero-filled. Moving between
// devices copies the contents explicitly; nothing here copies implicitly. On the GPU every fill and
// copy waits for all work on the device first (cuda::sync_*): the array belongs to no one stream.
#pragma once
#include <cstring>
#include <utility>
#include <vector>

#include "common/error.h"
#include "kernels/cuda/runtime.h"
#include "nn/tensor.h"

namespace nullmark {

template <class T>
class DeviceArray {
 public:
  DeviceArray() = default;
  explicit DeviceArray(Device d, size_t n = 0) : device_(d) { resize(n); }
  ~DeviceArray() { release(); }
  DeviceArray(DeviceArray&& o) noexcept { *this = std::move(o); }
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    if (this != &o) {
      release();
      device_ = o.device_, size_ = o.size_, gpu_ = o.gpu_, host_ = std::move(o.host_);
      o.gpu_ = nullptr, o.size_ = 0;
    }
    return *this;
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  Device device() const { return device_; }
  size_t size() const { return size_; }
  T* data() { return device_ == Device::CPU ? host_.data() : gpu_; }
  const T* data() const { return device_ == Device::CPU ? host_.data() : gpu_; }

  // New size, zero-filled (previous contents are not kept).
  void resize(size_t n) {
    if (device_ == Device::CPU) {
      host_.assign(n, T{});
    } else if (n != size_) {
      release();
      gpu_ = static_cast<T*>(cuda::alloc_bytes(n * sizeof(T)));
      cuda::sync_zero(gpu_, n * sizeof(T));
    } else {
      cuda::sync_zero(gpu_, n * sizeof(T));
    }
    size_ = n;
  }
  // Grows (zero-filled) when smaller than n; keeps the storage otherwise.
  void ensure(size_t n) {
    if (size_ < n) resize(n);
  }
  // Moves the contents to device d (a copy through the host when crossing devices).
  void to(Device d) {
    if (d == device_) return;
    std::vector<T> host = download();
    release();
    device_ = d;
    size_ = 0;
    resize(host.size());
    upload(host.data(), host.size());
  }
  void upload(const T* src, size_t n) {
    NM_CHECK(n <= size_, "upload of ", n, " values into an array of ", size_);
    if (n == 0) return;  // src and an empty array's storage may both be null
    if (device_ == Device::CPU)
      std::memcpy(host_.data(), src, n * sizeof(T));
    else
      cuda::sync_upload(gpu_, src, n * sizeof(T));
  }
  std::vector<T> download() const {
    if (device_ == Device::CPU) return host_;
    std::vector<T> out(size_);
    cuda::sync_download(out.data(), gpu_, size_ * sizeof(T));
    return out;
  }

 private:
  void release() {
    if (gpu_) cuda::free_bytes(gpu_);
    gpu_ = nullptr;
    host_.clear();
    host_.shrink_to_fit();
  }
  Device device_ = Device::CPU;
  size_t size_ = 0;
  T* gpu_ = nullptr;
  std::vector<T> host_;
};

}  // namespace nullmark
