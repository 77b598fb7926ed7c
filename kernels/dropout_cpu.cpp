#include "kernels/counter_hash.h"
#include "kernels/dropout.h"
#include <cstdint>

namespace nullmark::cpu {

template <class T>
void dropout_forward(size_t count, float p, uint64_t seed, uint64_t step, const T* x, T* y) {
  const T scale = p < 1.0f ? T(1) / (T(1) - p) : T(0);
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < count; ++i) y[i] = dropout_keep(seed, step, i, p) ? x[i] * scale : T(0);
}

template <class T>
void dropout_backward(size_t count, float p, uint64_t seed, uint64_t step, const T* dy, T* dx, GradMode mode) {
  const T scale = p < 1.0f ? T(1) / (T(1) - p) : T(0);
  const bool acc = mode == GradMode::Accumulate;
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < count; ++i) {
    const T g = dropout_keep(seed, step, i, p) ? dy[i] * scale : T(0);
    dx[i] = acc ? dx[i] + g : g;
  }
}

template void dropout_forward<float>(size_t, float, uint64_t, uint64_t, const float*, float*);
template void dropout_forward<double>(size_t, float, uint64_t, uint64_t, const double*, double*);
template void dropout_backward<float>(size_t, float, uint64_t, uint64_t, const float*, float*, GradMode);
template void dropout_backward<double>(size_t, float, uint64_t, uint64_t, const double*, double*, GradMode);

}  // namespace nullmark::cpu
