// Test data on the GPU for the [cuda] tests: uploads, zeroed device arrays, and a
// bitwise comparison that names the first few differences.
#pragma once
#include <algorithm>
#include <catch2/catch.hpp>
#include <vector>

#include "gradcheck.h"  // small_ints
#include "kernels/cuda/runtime.h"
#include "nn/device_array.h"

namespace nullmark::test {

template <class T>
DeviceArray<T> up(const std::vector<T>& v) {
  DeviceArray<T> d(Device::CUDA, v.size());
  d.upload(v.data(), v.size());
  return d;
}
template <class T>
DeviceArray<T> zeros(size_t n) {
  return DeviceArray<T>(Device::CUDA, n);
}
// Several arrays in one device allocation, each from a 256-byte boundary (where cudaMalloc would
// start an array of its own), the storage kept from one layout to the next. The sweeps over every
// small convolution shape upload, zero and read back one of these a shape, three calls that wait
// for the card instead of about forty (an allocation, copy and free for each array); each sweep of
// 1269 shapes took about 1 s alone on an H200.
class DeviceParts {
 public:
  // Parts of these sizes, all zero.
  void zeros(const std::vector<size_t>& sizes) {
    lay_out(sizes);
    cuda::zero(storage_.data(), total_ * sizeof(float));
  }
  // The host arrays, uploaded in one copy (the gaps between them zero).
  void up(const std::vector<const std::vector<float>*>& parts) {
    std::vector<size_t> sizes;
    for (const auto* p : parts) sizes.push_back(p->size());
    lay_out(sizes);
    std::vector<float> host(total_, 0.0f);
    for (size_t i = 0; i < parts.size(); ++i) std::copy(parts[i]->begin(), parts[i]->end(), host.begin() + offsets_[i]);
    storage_.upload(host.data(), total_);
  }
  float* operator[](size_t i) { return storage_.data() + offsets_.at(i); }
  // Every part's values, read back in one copy.
  std::vector<std::vector<float>> download() const {
    std::vector<float> host(total_);
    cuda::copy_to_host(host.data(), storage_.data(), total_ * sizeof(float));
    std::vector<std::vector<float>> parts;
    for (size_t i = 0; i < sizes_.size(); ++i)
      parts.emplace_back(host.begin() + offsets_[i], host.begin() + offsets_[i] + sizes_[i]);
    return parts;
  }

 private:
  void lay_out(const std::vector<size_t>& sizes) {
    constexpr size_t kAlign = 256 / sizeof(float);
    sizes_ = sizes;
    offsets_.clear();
    total_ = 0;
    for (size_t n : sizes) {
      offsets_.push_back(total_);
      total_ += (n + kAlign - 1) / kAlign * kAlign;
    }
    storage_.ensure(total_);
  }
  DeviceArray<float> storage_{Device::CUDA};
  std::vector<size_t> offsets_, sizes_;
  size_t total_ = 0;
};

inline void same(const char* what, const std::vector<float>& cpu, const std::vector<float>& gpu) {
  REQUIRE(cpu.size() == gpu.size());
  size_t bad = 0;
  for (size_t i = 0; i < cpu.size(); ++i)
    if (cpu[i] != gpu[i] && bad++ < 5) FAIL_CHECK(what << "[" << i << "]: cpu " << cpu[i] << " gpu " << gpu[i]);
  CHECK(bad == 0);
}

}  // namespace nullmark::test
