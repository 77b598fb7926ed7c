#include <cmath>

#include "kernels/softmax_xent.h"

namespace nullmark::cpu {

// Serial over samples: K is small (10-43 classes), the cost is negligible next to the layers,
// and a fixed summation order keeps losses bitwise reproducible.
template <class T>
XentResult softmax_xent(int n, int k, const T* logits, const int32_t* labels, const float* weights, float scale,
                        T* dlogits, int32_t* predictions, float smoothing) {
  XentResult r;
  const double off = static_cast<double>(smoothing) / k, on = 1.0 - smoothing + off;
  for (int i = 0; i < n; ++i) {
    const T* z = logits + static_cast<size_t>(i) * k;
    int arg = 0;
    T m = z[0];
    for (int j = 1; j < k; ++j)
      if (z[j] > m) m = z[j], arg = j;
    double sum = 0.0, zsum = 0.0;
    for (int j = 0; j < k; ++j) sum += std::exp(static_cast<double>(z[j] - m)), zsum += z[j];
    const double lse = static_cast<double>(m) + std::log(sum);
    const double w = weights ? weights[i] : 1.0;
    const double target_dot_z =
        smoothing > 0 ? off * zsum + (on - off) * z[labels[i]] : static_cast<double>(z[labels[i]]);
    r.loss_sum += w * (lse - target_dot_z);
    if (arg == labels[i]) ++r.correct;
    if (predictions) predictions[i] = arg;
    if (dlogits) {
      T* d = dlogits + static_cast<size_t>(i) * k;
      const double g = scale * w;
      for (int j = 0; j < k; ++j) {
        const double p = std::exp(static_cast<double>(z[j]) - lse);
        d[j] = static_cast<T>(g * (p - (j == labels[i] ? on : off)));
      }
    }
  }
  return r;
}

template XentResult softmax_xent<float>(int, int, const float*, const int32_t*, const float*, float, float*, int32_t*,
                                        float);
template XentResult softmax_xent<double>(int, int, const double*, const int32_t*, const float*, float, double*,
                                         int32_t*, float);

}  // namespace nullmark::cpu
