// Batch normalisation over [N, C, plane] (plane = H*W for images, 1 after dense layers):
// y = gamma * (x - mean) * invstd + beta, per channel, followed by a ReLU when `relu` is set (one
// pass over memory less each way than a separate ReLU layer; the backward pass masks dy by y > 0
// while it reads it).
//
// Training mode normalises with the batch's own statistics, keeps mean and 1/sqrt(var + eps) for
// the backward pass, and moves the running statistics towards the batch's (running = (1 - m) *
// running + m * batch, with the unbiased variance, as PyTorch does, so models compare). With
// stat_n set, the statistics are those of the batch's first stat_n samples alone, and they
// normalise every sample (a watermarked batch's clean part, so that the running statistics never
// see a stamp); the backward pass then differentiates them through those samples only. Evaluation
// mode normalises with the running statistics. Each channel is reduced serially in double, so the
// results do not depend on the number of threads.
#pragma once
#include "kernels/cuda/context.h"
#include "kernels/grad_mode.h"
#include "kernels/host_device.h"

namespace nullmark {
struct BatchNormShape {
  int n = 0, c = 0, plane = 1;
  double eps = 1e-5;
  double momentum = 0.1;  // weight of the batch in the running statistics
  bool relu = false;      // y = max(0, batchnorm(x))
  int stat_n = 0;         // training: samples whose statistics normalise the batch, the first ones (0: all n)
  NM_HOST_DEVICE int stat_samples() const { return stat_n > 0 && stat_n < n ? stat_n : n; }
};
}  // namespace nullmark

namespace nullmark::cpu {
using nullmark::BatchNormShape;

// save_mean / save_invstd: [C] outputs for batchnorm_backward. running_mean / running_var: [C],
// updated in place.
template <class T>
void batchnorm_forward_train(const BatchNormShape& s, const T* x, const T* gamma, const T* beta, T* y, T* save_mean,
                             T* save_invstd, T* running_mean, T* running_var);
template <class T>
void batchnorm_forward_eval(const BatchNormShape& s, const T* x, const T* gamma, const T* beta,
                            const T* running_mean, const T* running_var, T* y);

// Gradients of the training-mode forward (the batch statistics depend on x). dx, dgamma and dbeta
// may be null; y (the forward's output) is read only with s.relu. The per-channel sums of dy and
// dy * (x - mean) take one pass; dx a second.
template <class T>
void batchnorm_backward_train(const BatchNormShape& s, const T* x, const T* gamma, const T* save_mean,
                              const T* save_invstd, const T* y, const T* dy, T* dx, T* dgamma, T* dbeta,
                              GradMode mode);
// Gradients of the evaluation-mode forward (fixed statistics: an affine map per channel), used when
// an attack differentiates a model in evaluation mode. dgamma / dbeta may be null.
template <class T>
void batchnorm_backward_eval(const BatchNormShape& s, const T* x, const T* gamma, const T* running_mean,
                             const T* running_var, const T* y, const T* dy, T* dx, T* dgamma, T* dbeta,
                             GradMode mode);

}  // namespace nullmark::cpu

namespace nullmark::cuda {  // CUDA twins: one block per channel, fixed-order reductions
void batchnorm_forward_train(const Context& ctx, const BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                             float* y, float* save_mean, float* save_invstd, float* running_mean, float* running_var);
void batchnorm_forward_eval(const Context& ctx, const BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                            const float* running_mean, const float* running_var, float* y);
void batchnorm_backward_train(const Context& ctx, const BatchNormShape& s, const float* x, const float* gamma, const float* save_mean,
                              const float* save_invstd, const float* y, const float* dy, float* dx, float* dgamma,
                              float* dbeta, GradMode mode);
void batchnorm_backward_eval(const Context& ctx, const BatchNormShape& s, const float* x, const float* gamma,
                             const float* running_mean, const float* running_var, const float* y, const float* dy,
                             float* dx, float* dgamma, float* dbeta, GradMode mode);
}  // namespace nullmark::cuda
