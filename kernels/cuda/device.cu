#include <cuda_runtime.h>

#include "common/error.h"
#include "kernels/cuda/device.h"

namespace nullmark::cuda {

DeviceInfo query_device() {
  DeviceInfo info;
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    info.description = std::string("no CUDA device (") + cudaGetErrorString(err) + ")";
    cudaGetLastError();  // clear the sticky error so later queries start clean
    return info;
  }
  if (count == 0) {
    info.description = "no CUDA device";
    return info;
  }
  int current = 0;
  cudaGetDevice(&current);
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, current);
  info.available = true;
  info.name = prop.name;
  info.major = prop.major;
  info.minor = prop.minor;
  info.description = std::string(prop.name) + " (sm_" + std::to_string(prop.major) + std::to_string(prop.minor) + ")";
  return info;
}

int device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return count;
}

void use_device(int index) {
  const cudaError_t err = cudaSetDevice(index);
  if (err != cudaSuccess) throw fail("cannot use CUDA device ", index, ": ", cudaGetErrorString(err));
}

size_t free_memory() {
  size_t free_b = 0, total_b = 0;
  const cudaError_t err = cudaMemGetInfo(&free_b, &total_b);
  if (err != cudaSuccess) throw fail("cannot read the GPU's free memory: ", cudaGetErrorString(err));
  return free_b;
}

}  // namespace nullmark::cuda
