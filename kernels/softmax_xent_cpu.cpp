#include <cmath>

#include "kernels/softmax_xent.h"

namespace nullmark::cpu {

// Serial over samples: K is small (10-43 classes), the cost is negligible next to the layers,
// and a fixed summation order keeps losses bitwise reproducible.
XentResult softmax_xent(int n, int k, const float* logits, const int32_t* labels, const float* weights, float scale,
                        float* dlogits, int32_t* predictions) {
  XentResult r;
  for (int i = 0; i < n; ++i) {
    const float* z = logits + static_cast<size_t>(i) * k;
    int arg = 0;
    float m = z[0];
    for (int j = 1; j < k; ++j)
      if (z[j] > m) m = z[j], arg = j;
    double sum = 0.0;
    for (int j = 0; j < k; ++j) sum += std::exp(static_cast<double>(z[j] - m));
    const double lse = static_cast<double>(m) + std::log(sum);
    const double w = weights ? weights[i] : 1.0;
    r.loss_sum += w * (lse - z[labels[i]]);
    if (arg == labels[i]) ++r.correct;
    if (predictions) predictions[i] = arg;
    if (dlogits) {
      float* d = dlogits + static_cast<size_t>(i) * k;
      const double g = scale * w;
      for (int j = 0; j < k; ++j) {
        const double p = std::exp(static_cast<double>(z[j]) - lse);
        d[j] = static_cast<float>(g * (p - (j == labels[i] ? 1.0 : 0.0)));
      }
    }
  }
  return r;
}

}  // namespace nullmark::cpu
