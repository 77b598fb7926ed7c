// Flatten [N, C, H, W] -> [N, C*H*W]. NCHW is already row-major in that order, so both directions
// are copies; the kernel exists so the layer owns a distinct output buffer like every other layer.
#pragma once
#include <cstddef>

#include "kernels/cuda/context.h"
#include "kernels/grad_mode.h"

namespace nullmark::cpu {
template <class T>
void flatten_forward(size_t count, const T* x, T* y);
template <class T>
void flatten_backward(size_t count, const T* dy, T* dx, GradMode mode);
}  // namespace nullmark::cpu

namespace nullmark::cuda {  // CUDA twins: float, device pointers, on the context's stream
void flatten_forward(const Context& ctx, size_t count, const float* x, float* y);
void flatten_backward(const Context& ctx, size_t count, const float* dy, float* dx, GradMode mode);
}  // namespace nullmark::cuda
