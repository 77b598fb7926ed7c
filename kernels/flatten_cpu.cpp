#include <cstring>

#include "kernels/flatten.h"

namespace nullmark::cpu {

template <class T>
void flatten_forward(size_t count, const T* x, T* y) {
  std::memcpy(y, x, count * sizeof(T));
}

template <class T>
void flatten_backward(size_t count, const T* dy, T* dx, GradMode mode) {
  if (mode == GradMode::Overwrite) {
    std::memcpy(dx, dy, count * sizeof(T));
    return;
  }
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < count; ++i) dx[i] += dy[i];
}

template void flatten_forward<float>(size_t, const float*, float*);
template void flatten_forward<double>(size_t, const double*, double*);
template void flatten_backward<float>(size_t, const float*, float*, GradMode);
template void flatten_backward<double>(size_t, const double*, double*, GradMode);

}  // namespace nullmark::cpu
