// cuBLAS for the row-major matrices nullmark keeps: one handle per context, on the context's stream,
// in the context's precision (kernels/precision.h).
#pragma once
#include "kernels/cuda/context.h"

namespace nullmark::cuda {

// C[M, N] = alpha * op(A)[M, K] op(B)[K, N] + beta * C, all row-major; lda/ldb/ldc are row strides
// of the matrices as stored (A is K x M when transposed).
void cublas_gemm_rowmajor(const Context& ctx, bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
                          const float* B, int ldb, float beta, float* C, int ldc);

}  // namespace nullmark::cuda
