// The loop of the watermark batch kernel's float4 path, shared with its bandwidth reference
// (bench/fanout_copy.cu) so that the benchmark compares the same access pattern: a grid-stride walk
// over count4 vectors, two per iteration with both loads issued before `put` writes them, so twice
// the bytes are in flight.
#pragma once
#include <cuda_runtime.h>

namespace nullmark::cuda {

template <class Put>
__device__ void for_vector_pairs(int count4, const float4* src, Put&& put) {
  const int stride = gridDim.x * blockDim.x;
  for (int v = blockIdx.x * blockDim.x + threadIdx.x; v < count4; v += 2 * stride) {
    const int v2 = v + stride;
    const float4 x = src[v];
    const float4 x2 = v2 < count4 ? src[v2] : x;
    put(v, x);
    if (v2 < count4) put(v2, x2);
  }
}

}  // namespace nullmark::cuda
