// ReLU. The backward pass reads the forward output y (y > 0 exactly where x > 0), so the
// layer need not keep its input.
#pragma once
#include <cstddef>

#include "kernels/cuda/context.h"
#include "kernels/grad_mode.h"

namespace nullmark::cpu {
template <class T>
void relu_forward(size_t count, const T* x, T* y);
template <class T>
void relu_backward(size_t count, const T* y, const T* dy, T* dx, GradMode mode);
}  // namespace nullmark::cpu

namespace nullmark::cuda {  // CUDA twins: float, device pointers, on the context's stream
void relu_forward(const Context& ctx, size_t count, const float* x, float* y);
void relu_backward(const Context& ctx, size_t count, const float* y, const float* dy, float* dx, GradMode mode);
}  // namespace nullmark::cuda
