// Inverted dropout with a counter-based mask: element i of call `step` is kept iff
// hash(seed, step, i) >= p * 2^32. No mask is stored; backward recomputes it, any thread count and
// the CUDA twin give the same mask, and a resumed run continues the same sequence.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/counter_hash.h"
#include "kernels/cuda/context.h"
#include "kernels/grad_mode.h"

namespace nullmark::cpu {
using nullmark::dropout_keep;  // kernels/counter_hash.h
template <class T>
void dropout_forward(size_t count, float p, uint64_t seed, uint64_t step, const T* x, T* y);
template <class T>
void dropout_backward(size_t count, float p, uint64_t seed, uint64_t step, const T* dy, T* dx, GradMode mode);
}  // namespace nullmark::cpu

namespace nullmark::cuda {  // CUDA twins (the same masks, from kernels/counter_hash.h)
void dropout_forward(const Context& ctx, size_t count, float p, uint64_t seed, uint64_t step, const float* x, float* y);
void dropout_backward(const Context& ctx, size_t count, float p, uint64_t seed, uint64_t step, const float* dy, float* dx, GradMode mode);
}  // namespace nullmark::cuda
