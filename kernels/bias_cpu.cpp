#include <cstddef>

#include "kernels/bias.h"

namespace nullmark::cpu {

template <class T>
void bias_add_forward(int n, int c, int p, const T* b, T* y) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int i = 0; i < n; ++i)
    for (int ch = 0; ch < c; ++ch) {
      T* r = y + (static_cast<std::size_t>(i) * c + ch) * p;
      for (int k = 0; k < p; ++k) r[k] += b[ch];
    }
}

template <class T>
void bias_backward(int n, int c, int p, const T* dy, T* db, GradMode mode) {
  // One thread per channel, images summed in order: the result does not depend on thread count.
#pragma omp parallel for schedule(static)
  for (int ch = 0; ch < c; ++ch) {
    double acc = 0.0;
    for (int i = 0; i < n; ++i) {
      const T* r = dy + (static_cast<std::size_t>(i) * c + ch) * p;
      for (int k = 0; k < p; ++k) acc += r[k];
    }
    db[ch] = (mode == GradMode::Accumulate ? db[ch] : T(0)) + static_cast<T>(acc);
  }
}

template void bias_add_forward<float>(int, int, int, const float*, float*);
template void bias_add_forward<double>(int, int, int, const double*, double*);
template void bias_backward<float>(int, int, int, const float*, float*, GradMode);
template void bias_backward<double>(int, int, int, const double*, double*, GradMode);

}  // namespace nullmark::cpu
