#include <cublas_v2.h>

#include "common/error.h"
#include "kernels/cuda/blas_handle.h"
#include "kernels/cuda/launch.cuh"

namespace nullmark::cuda {

namespace {
void check_cublas(cublasStatus_t st, const char* what, int line) {
  if (st != CUBLAS_STATUS_SUCCESS) throw fail(__FILE__, ":", line, ": ", what, ": cuBLAS status ", static_cast<int>(st));
}
cublasHandle_t handle() {
  static cublasHandle_t h = [] {
    cublasHandle_t made = nullptr;
    check_cublas(cublasCreate(&made), "cublasCreate", __LINE__);
    // A workspace of our own, so cuBLAS never allocates inside a captured CUDA graph (32 MiB, the
    // size NVIDIA recommends for Hopper).
    constexpr size_t kWorkspace = size_t(32) << 20;
    check_cublas(cublasSetWorkspace(made, alloc_bytes(kWorkspace), kWorkspace), "cublasSetWorkspace", __LINE__);
    return made;
  }();
  return h;
}
}  // namespace

void cublas_gemm_rowmajor(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
                          const float* B, int ldb, float beta, float* C, int ldc) {
  cublasHandle_t h = handle();
  check_cublas(cublasSetStream(h, stream()), "cublasSetStream", __LINE__);
  check_cublas(cublasSetMathMode(h, allow_tf32() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH),
               "cublasSetMathMode", __LINE__);
  // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands.
  check_cublas(cublasSgemm(h, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K, &alpha,
                           B, ldb, A, lda, &beta, C, ldc),
               "cublasSgemm", __LINE__);
}

}  // namespace nullmark::cuda
