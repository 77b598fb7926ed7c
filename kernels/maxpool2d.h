// 2-D max pooling on NCHW. The forward pass records, per output, the flat in-plane index of the
// winning input (first maximum in scan order), which the backward pass routes the gradient to.
#pragma once
#include <cstdint>

#include "kernels/cuda/context.h"
#include "kernels/grad_mode.h"
#include "kernels/host_device.h"

namespace nullmark {

struct MaxPool2dShape {
  int n = 1, c = 1, h = 1, w = 1;
  int k = 2, stride = 2;
  int oh() const { return (h - k) / stride + 1; }
  int ow() const { return (w - k) / stride + 1; }
};

// The window of output (oy, ox) in one plane: the flat in-plane index of its first maximum in scan
// order. Shared by the CPU's generic path and the CUDA kernel.
template <class T>
NM_HOST_DEVICE inline int32_t window_argmax(const MaxPool2dShape& s, const T* plane, int oy, int ox) {
  int32_t best = (oy * s.stride) * s.w + ox * s.stride;
  for (int i = 0; i < s.k; ++i)
    for (int j = 0; j < s.k; ++j) {
      const int32_t idx = (oy * s.stride + i) * s.w + ox * s.stride + j;
      if (plane[idx] > plane[best]) best = idx;
    }
  return best;
}

namespace cpu {
template <class T>
void maxpool2d_forward(const MaxPool2dShape& s, const T* x, T* y, int32_t* argmax);
template <class T>
void maxpool2d_backward(const MaxPool2dShape& s, const int32_t* argmax, const T* dy, T* dx, GradMode mode);
}  // namespace cpu

namespace cuda {  // CUDA twins; the backward pass gathers per input (no atomics: deterministic)
void maxpool2d_forward(const Context& ctx, const MaxPool2dShape& s, const float* x, float* y, int32_t* argmax);
void maxpool2d_backward(const Context& ctx, const MaxPool2dShape& s, const int32_t* argmax, const float* dy, float* dx, GradMode mode);
}  // namespace cuda
}  // namespace nullmark
