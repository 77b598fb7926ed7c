// Fully connected layer: y[N, O] = x[N, I] * W^T + b, W stored [O, I] (PyTorch's layout).
// Both directions are single OpenBLAS GEMM calls over the batch.
#pragma once
#include "kernels/cuda/context.h"
#include "kernels/grad_mode.h"
#include "kernels/kernel_impl.h"

namespace nullmark {

struct DenseShape {
  int n = 1, in = 1, out = 1;
};

namespace cpu {
// Templates instantiated for float (runtime) and double (gradient checks).
template <class T>
void dense_forward(const DenseShape& s, const T* x, const T* w, const T* b, T* y);
// dx may be null (first layer), db (no bias), dw and db (input gradients only); the CUDA twin alike.
template <class T>
void dense_backward(const DenseShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db, GradMode mode);
}  // namespace cpu

// CUDA twins (float, device pointers, on the context's stream): the hand-written tiled GEMM, or cuBLAS.
namespace cuda {
void dense_forward(const Context& ctx, const DenseShape& s, const float* x, const float* w, const float* b, float* y,
                   KernelImpl impl = KernelImpl::Native);
void dense_backward(const Context& ctx, const DenseShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                    float* db, GradMode mode, KernelImpl impl = KernelImpl::Native);
}  // namespace cuda
}  // namespace nullmark
