// Helpers for the .cu files: grid sizing and the launch check (see runtime.h).
#pragma once
#include <cuda_runtime.h>

#include <cstddef>

#include "kernels/cuda/runtime.h"

namespace nullmark::cuda {

inline cudaStream_t stream(const Context& ctx) { return static_cast<cudaStream_t>(ctx.stream()); }

// Blocks of `threads` covering `count` elements, capped so grid-stride loops take the rest.
inline unsigned blocks_for(size_t count, unsigned threads = 256) {
  const size_t b = (count + threads - 1) / threads;
  return static_cast<unsigned>(b == 0 ? 1 : (b > 65535u * 8 ? 65535u * 8 : b));
}

}  // namespace nullmark::cuda

// Checks the launch just made on ctx's stream (and synchronises in debug mode), naming this source line.
#define NM_AFTER_LAUNCH(ctx, name) ::nullmark::cuda::after_launch(ctx, name, __FILE__, __LINE__)

// Grid-stride loop over [0, n).
#define NM_GRID_LOOP(i, n)                                                                         \
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < static_cast<size_t>(n); \
       i += static_cast<size_t>(gridDim.x) * blockDim.x)
