// Fused softmax + cross-entropy + gradient, one pass over the logits per sample:
//   loss_i = w_i * (logsumexp(z_i) - sum_j q_ij z_ij),   dz_i = scale * w_i * (softmax(z_i) - q_i),
// with target q_i = (1 - eps) onehot(y_i) + eps / K (label smoothing eps, 0 = plain cross-entropy).
// Per-sample weights let one call mix clean, null-stamped and true-stamped samples with their own
// loss weights. The argmax comes for free and gives the running accuracy.
#pragma once
#include <cmath>
#include <cstdint>

#include "kernels/cuda/context.h"
#include "kernels/host_device.h"

namespace nullmark {

struct XentResult {
  double loss_sum = 0.0;  // sum_i w_i * CE_i
  long correct = 0;       // samples whose argmax equals the label
};

// One sample, shared by the CPU loop and the CUDA kernel: returns w * CE (in double), writes the
// argmax and, when d is not null, the gradient row scale * w * (softmax(z) - q).
template <class T>
NM_HOST_DEVICE inline double xent_sample(int k, const T* z, int32_t label, double w, double scale, float smoothing,
                                         T* d, int32_t* argmax) {
  const double off = static_cast<double>(smoothing) / k, on = 1.0 - smoothing + off;
  int arg = 0;
  T m = z[0];
  for (int j = 1; j < k; ++j)
    if (z[j] > m) m = z[j], arg = j;
  double sum = 0.0, zsum = 0.0;
  for (int j = 0; j < k; ++j) sum += exp(static_cast<double>(z[j] - m)), zsum += z[j];
  const double lse = static_cast<double>(m) + log(sum);
  const double target_dot_z = smoothing > 0 ? off * zsum + (on - off) * z[label] : static_cast<double>(z[label]);
  *argmax = arg;
  if (d) {
    const double g = scale * w;
    for (int j = 0; j < k; ++j) d[j] = static_cast<T>(g * (exp(static_cast<double>(z[j]) - lse) - (j == label ? on : off)));
  }
  return w * (lse - target_dot_z);
}

namespace cpu {
// weights may be null (all 1); dlogits may be null (evaluation); predictions may be null.
template <class T>
XentResult softmax_xent(int n, int k, const T* logits, const int32_t* labels, const float* weights, float scale,
                        T* dlogits, int32_t* predictions, float smoothing = 0.0f);
}  // namespace cpu

// CUDA twin: one thread per sample (K is small), then one block adds the batch's loss and the
// number of correct predictions among the first `scored` samples (the clean ones of a watermark
// batch), in a fixed order, to totals[0] and totals[1] on the device, so a training step needs no
// copy back to the host; read the totals when reporting. totals may be null.
namespace cuda {
void softmax_xent(const Context& ctx, int n, int k, const float* logits, const int32_t* labels, const float* weights, float scale,
                  float* dlogits, int32_t* predictions, float smoothing, double* totals, int scored);
}  // namespace cuda
}  // namespace nullmark
