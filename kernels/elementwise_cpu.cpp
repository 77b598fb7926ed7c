#include "kernels/elementwise.h"

#include <algorithm>

namespace nullmark::cpu {

void add(size_t count, const float* a, const float* b, float* y, bool relu) {
  if (relu) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < count; ++i) y[i] = std::max(a[i] + b[i], 0.0f);
  } else {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < count; ++i) y[i] = a[i] + b[i];
  }
}

void accumulate(size_t count, const float* x, float* y) {
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < count; ++i) y[i] += x[i];
}

}  // namespace nullmark::cpu
