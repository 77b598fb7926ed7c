#include "kernels/dropout.h"

namespace nullmark::cpu {

namespace {
// splitmix64 finaliser: a cheap, well-mixed 64-bit hash.
inline uint64_t mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

bool dropout_keep(uint64_t seed, uint64_t step, size_t i, float p) {
  const uint64_t h = mix(mix(seed ^ mix(step)) + i);
  const double u = static_cast<double>(h >> 32) / 4294967296.0;
  return u >= p;
}

void dropout_forward(size_t count, float p, uint64_t seed, uint64_t step, const float* x, float* y) {
  const float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < count; ++i) y[i] = dropout_keep(seed, step, i, p) ? x[i] * scale : 0.0f;
}

void dropout_backward(size_t count, float p, uint64_t seed, uint64_t step, const float* dy, float* dx, GradMode mode) {
  const float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
  const bool acc = mode == GradMode::Accumulate;
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < count; ++i) {
    const float g = dropout_keep(seed, step, i, p) ? dy[i] * scale : 0.0f;
    dx[i] = acc ? dx[i] + g : g;
  }
}

}  // namespace nullmark::cpu
