// Optimizer steps over one flat parameter buffer (all layers' parameters are contiguous), so a
// step is one fused elementwise pass however many layers the network has.
#pragma once
#include <cstddef>

namespace nullmark {

struct SgdParams {
  float lr = 0.01f, momentum = 0.0f, weight_decay = 0.0f;
  bool nesterov = false;
};

struct AdamParams {
  float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.0f;
  bool decoupled = false;  // AdamW: decay applied to the weights, not added to the gradient
};

namespace cpu {
// PyTorch's convention: v = mu*v + (g + wd*p); p -= lr * (nesterov ? g + wd*p + mu*v : v).
void sgd_step(size_t count, const SgdParams& h, float* params, const float* grads, float* velocity);
// step is 1-based (bias correction). m, v: first and second moments.
void adam_step(size_t count, const AdamParams& h, long step, float* params, const float* grads, float* m, float* v);
}  // namespace cpu

namespace cuda {  // CUDA twins: one fused elementwise pass over the flat buffers
void sgd_step(size_t count, const SgdParams& h, float* params, const float* grads, float* velocity);
void adam_step(size_t count, const AdamParams& h, long step, float* params, const float* grads, float* m, float* v);
}  // namespace cuda
}  // namespace nullmark
