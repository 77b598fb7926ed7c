// Fully connected layer: y[N, O] = x[N, I] * W^T + b, W stored [O, I] (PyTorch's layout).
// Both directions are single OpenBLAS SGEMM calls over the batch.
#pragma once
#include "kernels/grad_mode.h"

namespace nullmark {

struct DenseShape {
  int n = 1, in = 1, out = 1;
};

namespace cpu {
void dense_forward(const DenseShape& s, const float* x, const float* w, const float* b, float* y);
// dx may be null (first layer). db may be null (no bias).
void dense_backward(const DenseShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                    float* db, GradMode mode);
}  // namespace cpu
}  // namespace nullmark
