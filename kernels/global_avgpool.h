// Global average pooling: [N, C, H, W] -> [N, C], the mean of each channel plane (the head of
// ResNet-style networks).
#pragma once
#include "kernels/cuda/context.h"
#include "kernels/grad_mode.h"

namespace nullmark::cpu {
template <class T>
void global_avgpool_forward(int n, int c, int plane, const T* x, T* y);
template <class T>
void global_avgpool_backward(int n, int c, int plane, const T* dy, T* dx, GradMode mode);
}  // namespace nullmark::cpu

namespace nullmark::cuda {  // CUDA twins: float, device pointers, on the context's stream
void global_avgpool_forward(const Context& ctx, int n, int c, int plane, const float* x, float* y);
void global_avgpool_backward(const Context& ctx, int n, int c, int plane, const float* dy, float* dx, GradMode mode);
}  // namespace nullmark::cuda
