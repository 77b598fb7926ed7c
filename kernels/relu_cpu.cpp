#include "kernels/relu.h"

namespace nullmark::cpu {

template <class T>
void relu_forward(size_t count, const T* x, T* y) {
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < count; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
}

template <class T>
void relu_backward(size_t count, const T* y, const T* dy, T* dx, GradMode mode) {
  if (mode == GradMode::Overwrite) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < count; ++i) dx[i] = y[i] > T(0) ? dy[i] : T(0);
  } else {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < count; ++i) dx[i] += y[i] > T(0) ? dy[i] : T(0);
  }
}

template void relu_forward<float>(size_t, const float*, float*);
template void relu_forward<double>(size_t, const double*, double*);
template void relu_backward<float>(size_t, const float*, const float*, float*, GradMode);
template void relu_backward<double>(size_t, const double*, const double*, double*, GradMode);

}  // namespace nullmark::cpu
