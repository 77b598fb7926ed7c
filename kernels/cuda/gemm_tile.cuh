// One tiled GEMM for every matrix product of the CUDA backend: C[M, N] = sum_k A(m, k) * B(k, n).
// A and B are read through functors, so the same kernel serves dense layers (plain row-major
// matrices) and convolutions (implicit GEMM: the lowered input is never written out, B(k, n) is
// computed from the image on the fly). The epilogue functor writes each result, fusing bias, ReLU,
// accumulation or split-K partials.
//
// Tiles: 64 x 64 outputs per block of 256 threads, K in steps of 16 through shared memory; each
// thread keeps a 4 x 4 block of accumulators, strided by 16 so that neighbouring threads touch
// neighbouring columns (coalesced loads and stores). Split-K: blockIdx.z takes one slice of K.
#pragma once
#include <cuda_runtime.h>

namespace nullmark::cuda {

constexpr int kTileM = 64, kTileN = 64, kTileK = 16, kTileThreads = 256;

template <class ALoad, class BLoad, class Epilogue>
__global__ void __launch_bounds__(kTileThreads)
    gemm_tile_kernel(int M, int N, int K, int k_per_split, ALoad a, BLoad b, Epilogue epi) {
  __shared__ float As[kTileK][kTileM + 1];  // +1: no bank conflicts on the transposed store
  __shared__ float Bs[kTileK][kTileN];
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const int m0 = blockIdx.y * kTileM, n0 = blockIdx.x * kTileN;
  const int k_begin = blockIdx.z * k_per_split;
  const int k_end = min(K, k_begin + k_per_split);
  float acc[4][4] = {};
  for (int k0 = k_begin; k0 < k_end; k0 += kTileK) {
    // A tile: 64 x 16, k fastest (rows of A are contiguous in k for the plain layouts).
    for (int i = threadIdx.x; i < kTileM * kTileK; i += kTileThreads) {
      const int mm = i / kTileK, kk = i % kTileK;
      const int m = m0 + mm, k = k0 + kk;
      As[kk][mm] = (m < M && k < k_end) ? a(m, k) : 0.0f;
    }
    // B tile: 16 x 64, n fastest.
    for (int i = threadIdx.x; i < kTileK * kTileN; i += kTileThreads) {
      const int kk = i / kTileN, nn = i % kTileN;
      const int k = k0 + kk, n = n0 + nn;
      Bs[kk][nn] = (n < N && k < k_end) ? b(k, n) : 0.0f;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kTileK; ++kk) {
      float ra[4], rb[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) ra[i] = As[kk][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < 4; ++j) rb[j] = Bs[kk][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(ra[i], rb[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int m = m0 + ty + 16 * i, n = n0 + tx + 16 * j;
      if (m < M && n < N) epi(m, n, acc[i][j], static_cast<int>(blockIdx.z));
    }
}

// Grid for an M x N product with `splits` slices of K.
inline dim3 gemm_grid(int M, int N, int splits = 1) {
  return dim3((N + kTileN - 1) / kTileN, (M + kTileM - 1) / kTileM, splits);
}

// Row-major matrix reads, optionally transposed: element (r, c) of op(X).
struct RowMajor {
  const float* p;
  int ld;
  bool transposed;
  __device__ float operator()(int r, int c) const { return transposed ? p[(size_t)c * ld + r] : p[(size_t)r * ld + c]; }
};

}  // namespace nullmark::cuda
