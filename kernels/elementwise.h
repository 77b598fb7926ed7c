// Elementwise sums, for residual blocks: y = a + b (then max(0, y) with `relu`: a block's closing
// activation in the same pass), and y += x (a shortcut's gradient joining the body's).
#pragma once
#include <cstddef>

#include "kernels/cuda/context.h"

namespace nullmark::cpu {
void add(size_t count, const float* a, const float* b, float* y, bool relu = false);
void accumulate(size_t count, const float* x, float* y);
}  // namespace nullmark::cpu

namespace nullmark::cuda {  // CUDA twins: device pointers, on the context's stream
void add(const Context& ctx, size_t count, const float* a, const float* b, float* y, bool relu = false);
void accumulate(const Context& ctx, size_t count, const float* x, float* y);
}  // namespace nullmark::cuda
