#include <cmath>
#include <cstdint>

#include "kernels/softmax_xent.h"

namespace nullmark::cpu {

// Serial over samples: K is small (10-43 classes), the cost is negligible next to the layers,
// and a fixed summation order keeps losses bitwise reproducible.
template <class T>
XentResult softmax_xent(int n, int k, const T* logits, const int32_t* labels, const float* weights, float scale,
                        T* dlogits, int32_t* predictions, float smoothing) {
  XentResult r;
  for (int i = 0; i < n; ++i) {
    int32_t arg = 0;
    r.loss_sum += xent_sample(k, logits + static_cast<size_t>(i) * k, labels[i], weights ? weights[i] : 1.0, scale,
                              smoothing, dlogits ? dlogits + static_cast<size_t>(i) * k : nullptr, &arg);
    if (arg == labels[i]) ++r.correct;
    if (predictions) predictions[i] = arg;
  }
  return r;
}

template XentResult softmax_xent<float>(int, int, const float*, const int32_t*, const float*, float, float*, int32_t*,
                                        float);
template XentResult softmax_xent<double>(int, int, const double*, const int32_t*, const float*, float, double*,
                                         int32_t*, float);

}  // namespace nullmark::cpu
