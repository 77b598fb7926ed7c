// A reference for the watermark batch kernel's bandwidth (bench_kernels_cuda): the same traffic as
// its float4 path (each vector read once and written three times, the same grid) without stamping
// or labels, so the benchmark can tell the kernel's own cost from what the access pattern allows on
// the card. `streaming` writes with the evict-first hint (st.global.cs), to measure whether it helps.
#pragma once
#include <cstddef>

#include "kernels/cuda/context.h"

namespace nullmark::bench {

// dst holds 3 * count floats: three copies of src[0, count). count % 4 == 0, both 16-byte aligned.
void fanout_copy(const cuda::Context& ctx, const float* src, float* dst, size_t count, bool streaming);

}  // namespace nullmark::bench
