// Inverted dropout with a counter-based mask: element i of call `step` is kept iff
// hash(seed, step, i) >= p * 2^32. No mask is stored; backward recomputes it, any thread count and
// the CUDA twin give the same mask, and a resumed run continues the same sequence.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/grad_mode.h"

namespace nullmark::cpu {
bool dropout_keep(uint64_t seed, uint64_t step, size_t i, float p);
template <class T>
void dropout_forward(size_t count, float p, uint64_t seed, uint64_t step, const T* x, T* y);
template <class T>
void dropout_backward(size_t count, float p, uint64_t seed, uint64_t step, const T* dy, T* dx, GradMode mode);
}  // namespace nullmark::cpu
