#include "kernels/leaky_relu.h"

namespace nullmark::cpu {

template <class T>
void leaky_relu_forward(size_t count, float slope, const T* x, T* y) {
  const T a = static_cast<T>(slope);
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < count; ++i) y[i] = x[i] > T(0) ? x[i] : a * x[i];
}

template <class T>
void leaky_relu_backward(size_t count, float slope, const T* y, const T* dy, T* dx, GradMode mode) {
  const T a = static_cast<T>(slope);
  const bool acc = mode == GradMode::Accumulate;
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < count; ++i) dx[i] = (acc ? dx[i] : T(0)) + (y[i] > T(0) ? dy[i] : a * dy[i]);
}

template void leaky_relu_forward<float>(size_t, float, const float*, float*);
template void leaky_relu_forward<double>(size_t, float, const double*, double*);
template void leaky_relu_backward<float>(size_t, float, const float*, const float*, float*, GradMode);
template void leaky_relu_backward<double>(size_t, float, const double*, const double*, double*, GradMode);

}  // namespace nullmark::cpu
