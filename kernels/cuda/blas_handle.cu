#include <cublas_v2.h>

#include <memory>

#include "common/error.h"
#include "kernels/cuda/blas_handle.h"
#include "kernels/cuda/launch.cuh"

namespace nullmark::cuda {

namespace {
void check_cublas(cublasStatus_t st, const char* what, int line) {
  if (st != CUBLAS_STATUS_SUCCESS) throw fail(__FILE__, ":", line, ": ", what, ": cuBLAS status ", static_cast<int>(st));
}
// The context's handle, with a workspace of its own so cuBLAS never allocates inside a captured
// CUDA graph (32 MiB, the size NVIDIA recommends for Hopper); both go with the context.
struct Cublas {
  cublasHandle_t handle = nullptr;
  void* workspace = nullptr;
  Cublas() {
    constexpr size_t kWorkspace = size_t(32) << 20;
    check_cublas(cublasCreate(&handle), "cublasCreate", __LINE__);
    workspace = alloc_bytes(kWorkspace);
    check_cublas(cublasSetWorkspace(handle, workspace, kWorkspace), "cublasSetWorkspace", __LINE__);
  }
  ~Cublas() {
    cublasDestroy(handle);
    free_bytes(workspace);
  }
  Cublas(const Cublas&) = delete;
  Cublas& operator=(const Cublas&) = delete;
};

cublasHandle_t handle(const Context& ctx) {
  auto& slot = ctx.caches().cublas;
  if (!slot) {
    auto made = std::make_shared<Cublas>();
    check_cublas(cublasSetStream(made->handle, stream(ctx)), "cublasSetStream", __LINE__);
    slot = made;
  }
  return static_cast<Cublas*>(slot.get())->handle;
}
}  // namespace

void cublas_gemm_rowmajor(const Context& ctx, bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
                          const float* B, int ldb, float beta, float* C, int ldc) {
  cublasHandle_t h = handle(ctx);
  // The compute type carries the precision (kernels/precision.h): float32 tensors, operands rounded
  // to TF32 or bfloat16 for the tensor cores, float32 accumulation.
  const Precision p = ctx.options().precision;
  const cublasComputeType_t compute = p == Precision::Bf16   ? CUBLAS_COMPUTE_32F_FAST_16BF
                                      : p == Precision::Tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32
                                                             : CUBLAS_COMPUTE_32F;
  // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands.
  check_cublas(cublasGemmEx(h, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K, &alpha,
                            B, CUDA_R_32F, ldb, A, CUDA_R_32F, lda, &beta, C, CUDA_R_32F, ldc, compute,
                            CUBLAS_GEMM_DEFAULT),
               "cublasGemmEx", __LINE__);
}

}  // namespace nullmark::cuda
