// Fused softmax + cross-entropy + gradient, one pass over the logits per sample:
//   loss_i = w_i * (logsumexp(z_i) - sum_j q_ij z_ij),   dz_i = scale * w_i * (softmax(z_i) - q_i),
// with target q_i = (1 - eps) onehot(y_i) + eps / K (label smoothing eps, 0 = plain cross-entropy).
// Per-sample weights let one call mix clean, null-stamped and true-stamped samples with their own
// loss weights. The argmax comes for free and gives the running accuracy.
#pragma once
#include <cstdint>

namespace nullmark {

struct XentResult {
  double loss_sum = 0.0;  // sum_i w_i * CE_i
  long correct = 0;       // samples whose argmax equals the label
};

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
void softmax_xent(int n, int k, const float* logits, const int32_t* labels, const float* weights, float scale,
                  float* dlogits, int32_t* predictions, float smoothing, double* totals, int scored);
}  // namespace cuda
}  // namespace nullmark
