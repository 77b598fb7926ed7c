#include <cstring>

#include "kernels/flatten.h"

namespace nullmark::cpu {

void flatten_forward(size_t count, const float* x, float* y) { std::memcpy(y, x, count * sizeof(float)); }

void flatten_backward(size_t count, const float* dy, float* dx, GradMode mode) {
  if (mode == GradMode::Overwrite) {
    std::memcpy(dx, dy, count * sizeof(float));
    return;
  }
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < count; ++i) dx[i] += dy[i];
}

}  // namespace nullmark::cpu
