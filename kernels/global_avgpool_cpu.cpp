#include <cstddef>

#include "kernels/global_avgpool.h"

namespace nullmark::cpu {

template <class T>
void global_avgpool_forward(int n, int c, int plane, const T* x, T* y) {
#pragma omp parallel for schedule(static)
  for (long i = 0; i < static_cast<long>(n) * c; ++i) {
    const T* p = x + static_cast<size_t>(i) * plane;
    T s = 0;
    for (int k = 0; k < plane; ++k) s += p[k];
    y[i] = s / plane;
  }
}

template <class T>
void global_avgpool_backward(int n, int c, int plane, const T* dy, T* dx, GradMode mode) {
#pragma omp parallel for schedule(static)
  for (long i = 0; i < static_cast<long>(n) * c; ++i) {
    T* p = dx + static_cast<size_t>(i) * plane;
    const T g = dy[i] / plane;
    for (int k = 0; k < plane; ++k) p[k] = (mode == GradMode::Accumulate ? p[k] : T(0)) + g;
  }
}

template void global_avgpool_forward<float>(int, int, int, const float*, float*);
template void global_avgpool_forward<double>(int, int, int, const double*, double*);
template void global_avgpool_backward<float>(int, int, int, const float*, float*, GradMode);
template void global_avgpool_backward<double>(int, int, int, const double*, double*, GradMode);

}  // namespace nullmark::cpu
