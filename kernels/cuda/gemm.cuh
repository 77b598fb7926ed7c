// Launches the product C[M, N] = sum_k A(m, k) * B(k, n) in the context's precision: the CUDA-core
// kernel of gemm_tile.cuh in fp32, the tensor-core kernel of gemm_mma.cuh in tf32 and bf16. Both
// take the same operand functors and epilogue and cover the same 64 x 64 tiles, so callers size
// their grids and split-K slices once.
#pragma once
#include "kernels/cuda/gemm_mma.cuh"
#include "kernels/cuda/gemm_tile.cuh"
#include "kernels/cuda/launch.cuh"

namespace nullmark::cuda {

template <class ALoad, class BLoad, class Epilogue>
void launch_gemm(const Context& ctx, int M, int N, int K, int k_per_split, int splits, ALoad a, BLoad b, Epilogue epi,
                 const char* name) {
  const dim3 grid = gemm_grid(M, N, splits);
  switch (ctx.options().precision) {
    case Precision::Bf16:
      gemm_mma_kernel<Precision::Bf16><<<grid, kTileThreads, 0, stream(ctx)>>>(M, N, K, k_per_split, a, b, epi);
      break;
    case Precision::Tf32:
      gemm_mma_kernel<Precision::Tf32><<<grid, kTileThreads, 0, stream(ctx)>>>(M, N, K, k_per_split, a, b, epi);
      break;
    case Precision::Fp32:
      gemm_tile_kernel<<<grid, kTileThreads, 0, stream(ctx)>>>(M, N, K, k_per_split, a, b, epi);
      break;
  }
  NM_AFTER_LAUNCH(ctx, name);
}

}  // namespace nullmark::cuda
