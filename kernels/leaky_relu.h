// Leaky ReLU: y = x for x > 0, slope * x otherwise (slope in [0, 1)). The backward pass reads the
// forward output: for a positive slope y > 0 exactly where x > 0, so the layer need not keep x.
// (The worked example of docs/extending.md.)
#pragma once
#include <cstddef>

#include "kernels/cuda/context.h"
#include "kernels/grad_mode.h"

namespace nullmark::cpu {
template <class T>
void leaky_relu_forward(size_t count, float slope, const T* x, T* y);
template <class T>
void leaky_relu_backward(size_t count, float slope, const T* y, const T* dy, T* dx, GradMode mode);
}  // namespace nullmark::cpu

namespace nullmark::cuda {  // CUDA twins: float, device pointers, on the context's stream
void leaky_relu_forward(const Context& ctx, size_t count, float slope, const float* x, float* y);
void leaky_relu_backward(const Context& ctx, size_t count, float slope, const float* y, const float* dy, float* dx, GradMode mode);
}  // namespace nullmark::cuda
