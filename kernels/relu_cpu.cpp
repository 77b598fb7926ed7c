#include "kernels/relu.h"

namespace nullmark::cpu {

void relu_forward(size_t count, const float* x, float* y) {
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < count; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void relu_backward(size_t count, const float* y, const float* dy, float* dx, GradMode mode) {
  if (mode == GradMode::Overwrite) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < count; ++i) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
  } else {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < count; ++i) dx[i] += y[i] > 0.0f ? dy[i] : 0.0f;
  }
}

}  // namespace nullmark::cpu
