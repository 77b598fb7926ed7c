#include "kernels/bias.h"

#include <cstddef>

using std::size_t;
namespace nullmark::cpu {

void bias_add_forward(int n, int c, int p, const float* b, float* y) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int i = 0; i < n; ++i)
    for (int ch = 0; ch < c; ++ch) {
      float* r = y + (static_cast<size_t>(i) * c + ch) * p;
      for (int k = 0; k < p; ++k) r[k] += b[ch];
    }
}

void bias_backward(int n, int c, int p, const float* dy, float* db, GradMode mode) {
  // One thread per channel, images summed in order: the result does not depend on thread count.
#pragma omp parallel for schedule(static)
  for (int ch = 0; ch < c; ++ch) {
    double acc = 0.0;
    for (int i = 0; i < n; ++i) {
      const float* r = dy + (static_cast<size_t>(i) * c + ch) * p;
      for (int k = 0; k < p; ++k) acc += r[k];
    }
    db[ch] = (mode == GradMode::Accumulate ? db[ch] : 0.0f) + static_cast<float>(acc);
  }
}

}  // namespace nullmark::cpu
