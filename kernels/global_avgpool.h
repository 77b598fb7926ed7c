// Global average pooling: [N, C, H, W] -> [N, C], the mean of each channel plane (the head of
// ResNet-style networks).
#pragma once
#include "kernels/grad_mode.h"

namespace nullmark::cpu {
template <class T>
void global_avgpool_forward(int n, int c, int plane, const T* x, T* y);
template <class T>
void global_avgpool_backward(int n, int c, int plane, const T* dy, T* dx, GradMode mode);
}  // namespace nullmark::cpu
