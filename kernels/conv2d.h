// 2-D convolution, NCHW activations, weights [F, C, KH, KW], bias [F].
//
// CPU: lowered to GEMM over the whole batch. im2col writes col[C*KH*KW, N*OH*OW], one OpenBLAS SGEMM
// computes all N*F output planes, and a transpose restores NCHW (fused with the bias add). One big
// GEMM keeps OpenBLAS efficient on small images where per-image GEMMs would be tiny.
#pragma once
#include <cstddef>

#include "kernels/grad_mode.h"

namespace nullmark {

struct Conv2dShape {
  int n = 1, c = 1, h = 1, w = 1;  // input
  int f = 1, kh = 1, kw = 1;       // filters and kernel size
  int stride = 1, pad = 0;
  int oh() const { return (h + 2 * pad - kh) / stride + 1; }
  int ow() const { return (w + 2 * pad - kw) / stride + 1; }
  size_t col_rows() const { return static_cast<size_t>(c) * kh * kw; }
  size_t col_cols() const { return static_cast<size_t>(n) * oh() * ow(); }
};

namespace cpu {

// Scratch floats conv2d_forward/backward need in `work`.
size_t conv2d_workspace(const Conv2dShape& s);
// y[N,F,OH,OW] = conv(x, w) + b (b may be null).
void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y, float* work);
// Gradients for input (dx may be null when no one needs it), weights and bias (db may be null).
void conv2d_backward(const Conv2dShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                     float* db, GradMode mode, float* work);

}  // namespace cpu
}  // namespace nullmark
