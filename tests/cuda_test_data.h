// Test data on the GPU for the [cuda] tests: uploads, zeroed device arrays, and a
// bitwise comparison that names the first few differences.
#pragma once
#include <catch2/catch.hpp>
#include <vector>

#include "gradcheck.h"  // small_ints
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
inline void same(const char* what, const std::vector<float>& cpu, const std::vector<float>& gpu) {
  REQUIRE(cpu.size() == gpu.size());
  size_t bad = 0;
  for (size_t i = 0; i < cpu.size(); ++i)
    if (cpu[i] != gpu[i] && bad++ < 5) FAIL_CHECK(what << "[" << i << "]: cpu " << cpu[i] << " gpu " << gpu[i]);
  CHECK(bad == 0);
}

}  // namespace nullmark::test
