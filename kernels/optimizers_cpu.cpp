#include <cmath>
#include <cstdint>

#include "kernels/optimizers.h"

namespace nullmark::cpu {

void sgd_step(size_t count, const SgdParams& h, float* params, const float* grads, float* velocity) {
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < count; ++i) sgd_update(h, params[i], grads[i], velocity[i]);
}

void adam_step(size_t count, const AdamParams& h, long step, float* params, const float* grads, float* m, float* v) {
  const float bc1 = 1.0f - static_cast<float>(std::pow(h.beta1, step));
  const float bc2 = 1.0f - static_cast<float>(std::pow(h.beta2, step));
  const float step_size = h.lr / bc1;
  const float inv_sqrt_bc2 = 1.0f / std::sqrt(bc2);
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < count; ++i) adam_update(h, step_size, inv_sqrt_bc2, params[i], grads[i], m[i], v[i]);
}

void zero_entries(size_t count, const uint64_t* index, float* params) {
  for (size_t i = 0; i < count; ++i) params[index[i]] = 0.0f;
}

}  // namespace nullmark::cpu
