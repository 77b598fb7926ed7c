// The tensor-core twin of gemm_tile.cuh: the same product C[M, N] = sum_k A(m, k) * B(k, n), read
// through the same operand functors and written through the same epilogues, so every dense layer and
// every implicit-GEMM convolution runs on tensor cores by changing only the kernel it launches
// (kernels/cuda/gemm.cuh picks by the context's precision).
//
// Operands are rounded as kernels/precision.h defines (round_to_bf16 / round_to_tf32, the functions
// the CPU oracle applies) while they are staged in shared memory; the warps multiply them with WMMA
// (bf16: m16n16k16, tf32: m16n16k8) and accumulate in float32 fragments. The block computes the same
// 64 x 64 tile as the CUDA-core kernel with 8 warps, each 32 rows x 16 columns (two fragments), and
// steps K by 32. The finished tile goes through shared memory to the epilogue, element by element,
// with neighbouring threads on neighbouring columns. Split-K: blockIdx.z takes one slice of K.
//
// Needs compute capability 8.0; the context refuses tf32 and bf16 on older cards, so the trap that
// older architectures compile is never reached.
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <mma.h>

#include "kernels/cuda/gemm_tile.cuh"
#include "kernels/precision.h"

namespace nullmark::cuda {

constexpr int kMmaTileK = 32;

template <Precision P>
struct MmaOperand;
template <>
struct MmaOperand<Precision::Bf16> {
  using Stored = __nv_bfloat16;    // in shared memory
  using Fragment = __nv_bfloat16;  // WMMA's element type
  static constexpr int kStepK = 16;
  static constexpr int kPad = 8;  // row strides stay multiples of 16 bytes and off the bank period
  // The value is bfloat16 already after the rounding: the conversion is exact.
  __device__ static Stored stage(float v) { return __float2bfloat16_rz(round_to_bf16(v)); }
  template <class Frag>
  __device__ static void prepare(Frag&) {}
};
template <>
struct MmaOperand<Precision::Tf32> {
  using Stored = float;
  using Fragment = nvcuda::wmma::precision::tf32;
  static constexpr int kStepK = 8;
  static constexpr int kPad = 4;
  __device__ static Stored stage(float v) { return round_to_tf32(v); }
  // WMMA asks for TF32 fragments to be converted after loading; on values that are TF32 already
  // (stage) the conversion changes nothing.
  template <class Frag>
  __device__ static void prepare(Frag& f) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    for (int t = 0; t < f.num_elements; ++t) f.x[t] = nvcuda::wmma::__float_to_tf32(f.x[t]);
#endif
  }
};

template <Precision P, class ALoad, class BLoad, class Epilogue>
__global__ void __launch_bounds__(kTileThreads)
    gemm_mma_kernel(int M, int N, int K, int k_per_split, ALoad a, BLoad b, Epilogue epi) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  namespace wmma = nvcuda::wmma;
  using Op = MmaOperand<P>;
  using T = typename Op::Stored;
  constexpr int kLdA = kMmaTileK + Op::kPad;  // As[m][k]
  constexpr int kLdB = kTileN + Op::kPad;     // Bs[k][n]
  constexpr int kLdC = kTileN + 4;            // Cs[m][n]
  // WMMA loads and stores need 32-byte alignment: every fragment's offset below is a multiple of it.
  __shared__ __align__(32) T As[kTileM * kLdA];
  __shared__ __align__(32) T Bs[kMmaTileK * kLdB];
  __shared__ __align__(32) float Cs[kTileM * kLdC];
  const int warp = static_cast<int>(threadIdx.x) / 32, wm = warp / 4, wn = warp % 4;
  const int m0 = blockIdx.y * kTileM, n0 = blockIdx.x * kTileN;
  const int k_begin = blockIdx.z * k_per_split;
  const int k_end = min(K, k_begin + k_per_split);
  wmma::fragment<wmma::accumulator, 16, 16, Op::kStepK, float> acc[2];
  wmma::fill_fragment(acc[0], 0.0f);
  wmma::fill_fragment(acc[1], 0.0f);
  for (int k0 = k_begin; k0 < k_end; k0 += kMmaTileK) {
    for (int i = threadIdx.x; i < kTileM * kMmaTileK; i += kTileThreads) {  // k fastest
      const int mm = i / kMmaTileK, kk = i % kMmaTileK, m = m0 + mm, k = k0 + kk;
      As[mm * kLdA + kk] = Op::stage((m < M && k < k_end) ? a(m, k) : 0.0f);
    }
    for (int i = threadIdx.x; i < kMmaTileK * kTileN; i += kTileThreads) {  // n fastest
      const int kk = i / kTileN, nn = i % kTileN, k = k0 + kk, n = n0 + nn;
      Bs[kk * kLdB + nn] = Op::stage((n < N && k < k_end) ? b(k, n) : 0.0f);
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kMmaTileK; kk += Op::kStepK) {
      wmma::fragment<wmma::matrix_b, 16, 16, Op::kStepK, typename Op::Fragment, wmma::row_major> fb;
      wmma::load_matrix_sync(fb, Bs + kk * kLdB + wn * 16, kLdB);
      Op::prepare(fb);
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        wmma::fragment<wmma::matrix_a, 16, 16, Op::kStepK, typename Op::Fragment, wmma::row_major> fa;
        wmma::load_matrix_sync(fa, As + (wm * 32 + i * 16) * kLdA + kk, kLdA);
        Op::prepare(fa);
        wmma::mma_sync(acc[i], fa, fb, acc[i]);
      }
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 2; ++i)
    wmma::store_matrix_sync(Cs + (wm * 32 + i * 16) * kLdC + wn * 16, acc[i], kLdC, wmma::mem_row_major);
  __syncthreads();
  for (int i = threadIdx.x; i < kTileM * kTileN; i += kTileThreads) {
    const int mm = i / kTileN, nn = i % kTileN, m = m0 + mm, n = n0 + nn;
    if (m < M && n < N) epi(m, n, Cs[mm * kLdC + nn], static_cast<int>(blockIdx.z));
  }
#else
  __trap();  // unreachable: the context refuses tensor-core precisions below compute capability 8.0
#endif
}

}  // namespace nullmark::cuda
