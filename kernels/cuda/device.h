// CUDA device discovery. On a machine without a GPU (or without a driver) the runtime reports an
// error rather than zero devices; both mean "no CUDA device" here, never a crash.
#pragma once
#include <cstddef>
#include <string>

namespace nullmark::cuda {

struct DeviceInfo {
  bool available = false;
  std::string description;  // the GPU's name and architecture, or why none is usable
  std::string name;         // the GPU's name alone ("NVIDIA H100 80GB HBM3"); empty without one
  int major = 0, minor = 0;  // its compute capability
};

// Always defined: returns "not built with CUDA" when the backend is compiled out. Describes the
// current device (device 0 unless use_device chose another).
DeviceInfo query_device();
// CUDA devices this process sees (0 without the backend or a driver).
int device_count();
// Makes device `index` current for this process: before any allocation (one GPU per rank).
void use_device(int index);
// Bytes of memory free on the current device now.
size_t free_memory();

}  // namespace nullmark::cuda
