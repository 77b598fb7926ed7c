// Optimizer steps over one flat parameter buffer (all layers' parameters are contiguous), so a
// step is one fused elementwise pass however many layers the network has.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "kernels/cuda/context.h"
#include "kernels/host_device.h"

namespace nullmark {

struct SgdParams {
  float lr = 0.01f, momentum = 0.0f, weight_decay = 0.0f;
  bool nesterov = false;
};

struct AdamParams {
  float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.0f;
  bool decoupled = false;  // AdamW: decay applied to the weights, not added to the gradient
};

// One parameter's update, shared by the CPU loops and the CUDA kernels.
NM_HOST_DEVICE inline void sgd_update(const SgdParams& h, float& p, float grad, float& velocity) {
  const float g = grad + h.weight_decay * p;
  const float v = h.momentum * velocity + g;
  velocity = v;
  p -= h.lr * (h.nesterov ? g + h.momentum * v : v);
}
// step_size = lr / (1 - beta1^t), inv_sqrt_bc2 = 1 / sqrt(1 - beta2^t): computed once per step.
NM_HOST_DEVICE inline void adam_update(const AdamParams& h, float step_size, float inv_sqrt_bc2, float& p, float grad,
                                       float& m, float& v) {
  float g = grad;
  if (h.decoupled)
    p -= h.lr * h.weight_decay * p;
  else
    g += h.weight_decay * p;
  m = h.beta1 * m + (1.0f - h.beta1) * g;
  v = h.beta2 * v + (1.0f - h.beta2) * g * g;
  p -= step_size * m / (sqrtf(v) * inv_sqrt_bc2 + h.eps);
}

namespace cpu {
// PyTorch's convention: v = mu*v + (g + wd*p); p -= lr * (nesterov ? g + wd*p + mu*v : v).
void sgd_step(size_t count, const SgdParams& h, float* params, const float* grads, float* velocity);
// step is 1-based (bias correction). m, v: first and second moments.
void adam_step(size_t count, const AdamParams& h, long step, float* params, const float* grads, float* m, float* v);
// params[index[i]] = 0 for i < count: parameters held at zero after every step (pruned channels
// while fine-tuning).
void zero_entries(size_t count, const uint64_t* index, float* params);
}  // namespace cpu

namespace cuda {  // CUDA twins: one fused elementwise pass over the flat buffers
void sgd_step(const Context& ctx, size_t count, const SgdParams& h, float* params, const float* grads, float* velocity);
void adam_step(const Context& ctx, size_t count, const AdamParams& h, long step, float* params, const float* grads, float* m, float* v);
void zero_entries(const Context& ctx, size_t count, const uint64_t* index, float* params);
}  // namespace cuda
}  // namespace nullmark
