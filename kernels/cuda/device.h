// CUDA device discovery. On a machine without a GPU (or without a driver) the runtime reports an
// error rather than zero devices; both mean "no CUDA device" here, never a crash.
#pragma once
#include <string>

namespace nullmark::cuda {

struct DeviceInfo {
  bool available = false;
  std::string description;  // the GPU's name, or why none is usable
};

// Always defined: returns "not built with CUDA" when the backend is compiled out.
DeviceInfo query_device();

}  // namespace nullmark::cuda
