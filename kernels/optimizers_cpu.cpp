#include <cmath>

#include "kernels/optimizers.h"

namespace nullmark::cpu {

void sgd_step(size_t count, const SgdParams& h, float* params, const float* grads, float* velocity) {
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < count; ++i) {
    const float g = grads[i] + h.weight_decay * params[i];
    const float v = h.momentum * velocity[i] + g;
    velocity[i] = v;
    params[i] -= h.lr * (h.nesterov ? g + h.momentum * v : v);
  }
}

void adam_step(size_t count, const AdamParams& h, long step, float* params, const float* grads, float* m, float* v) {
  const float bc1 = 1.0f - static_cast<float>(std::pow(h.beta1, step));
  const float bc2 = 1.0f - static_cast<float>(std::pow(h.beta2, step));
  const float step_size = h.lr / bc1;
  const float inv_sqrt_bc2 = 1.0f / std::sqrt(bc2);
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < count; ++i) {
    float g = grads[i];
    if (h.decoupled)
      params[i] -= h.lr * h.weight_decay * params[i];
    else
      g += h.weight_decay * params[i];
    m[i] = h.beta1 * m[i] + (1.0f - h.beta1) * g;
    v[i] = h.beta2 * v[i] + (1.0f - h.beta2) * g * g;
    params[i] -= step_size * m[i] / (std::sqrt(v[i]) * inv_sqrt_bc2 + h.eps);
  }
}

}  // namespace nullmark::cpu
