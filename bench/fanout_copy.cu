// See fanout_copy.h. The loop is the watermark batch kernel's (kernels/cuda/vector_pairs.cuh).
#include "bench/fanout_copy.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/vector_pairs.cuh"

namespace nullmark::bench {

namespace {
template <bool kStreaming>
__device__ void put(float4* at, float4 x) {
  if constexpr (kStreaming)
    __stcs(at, x);
  else
    *at = x;
}

template <bool kStreaming>
__global__ void fanout_kernel(int count4, const float4* src, float4* a, float4* b, float4* c) {
  cuda::for_vector_pairs(count4, src, [&](int v, float4 x) {
    put<kStreaming>(a + v, x), put<kStreaming>(b + v, x), put<kStreaming>(c + v, x);
  });
}
}  // namespace

void fanout_copy(const cuda::Context& ctx, const float* src, float* dst, size_t count, bool streaming) {
  const int count4 = static_cast<int>(count / 4);
  const float4* in = reinterpret_cast<const float4*>(src);
  float4* out = reinterpret_cast<float4*>(dst);
  const unsigned blocks = cuda::blocks_for((count4 + 1) / 2);
  if (streaming)
    fanout_kernel<true><<<blocks, 256, 0, cuda::stream(ctx)>>>(count4, in, out, out + count4, out + 2 * size_t(count4));
  else
    fanout_kernel<false><<<blocks, 256, 0, cuda::stream(ctx)>>>(count4, in, out, out + count4, out + 2 * size_t(count4));
  NM_AFTER_LAUNCH(ctx, "fanout_copy");
}

}  // namespace nullmark::bench
