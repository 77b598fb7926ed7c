// cuBLAS for the row-major matrices nullmark keeps: one handle per process, bound to the current
// stream at each call, TF32 only when runtime.h allows it.
#pragma once

namespace nullmark::cuda {

// C[M, N] = alpha * op(A)[M, K] op(B)[K, N] + beta * C, all row-major; lda/ldb/ldc are row strides
// of the matrices as stored (A is K x M when transposed).
void cublas_gemm_rowmajor(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
                          const float* B, int ldb, float beta, float* C, int ldc);

}  // namespace nullmark::cuda
