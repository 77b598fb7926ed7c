// Per-channel bias on [N, C, P] tensors (P = spatial size, 1 for dense outputs).
#pragma once
#include "kernels/cuda/context.h"
#include "kernels/grad_mode.h"

namespace nullmark::cpu {
template <class T>
void bias_add_forward(int n, int c, int p, const T* b, T* y);  // in place
// db[c] (+)= sum over n and p of dy[n, c, p]
template <class T>
void bias_backward(int n, int c, int p, const T* dy, T* db, GradMode mode);
}  // namespace nullmark::cpu

namespace nullmark::cuda {  // CUDA twins: float, device pointers, on the context's stream
void bias_add_forward(const Context& ctx, int n, int c, int p, const float* b, float* y);
void bias_backward(const Context& ctx, int n, int c, int p, const float* dy, float* db, GradMode mode);
}  // namespace nullmark::cuda
