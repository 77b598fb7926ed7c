// Build without the CUDA backend: device queries answer "not built with CUDA".
#include "kernels/cuda/device.h"

namespace nullmark::cuda {
DeviceInfo query_device() { return {false, "nullmark was built without the CUDA backend"}; }
}  // namespace nullmark::cuda
