// Build without the CUDA backend: device queries answer "not built with CUDA".
#include "common/error.h"
#include "kernels/cuda/device.h"

namespace nullmark::cuda {
DeviceInfo query_device() { DeviceInfo info;
  info.description = "nullmark was built without the CUDA backend";
  return info; }
int device_count() { return 0; }
void use_device(int) { throw fail("nullmark was built without the CUDA backend"); }
size_t free_memory() { return 0; }
}  // namespace nullmark::cuda
