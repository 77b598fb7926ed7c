// Dense layers on the GPU: three products per step through the tiled GEMM in the context's precision
// (or cuBLAS), plus the bias gradient as a column reduction (of dy as it is, in every precision).
#include <cublas_v2.h>

#include "common/error.h"
#include "kernels/bias.h"
#include "kernels/cuda/blas_handle.h"
#include "kernels/cuda/gemm.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/dense.h"

namespace nullmark::cuda {

namespace {
// y[m, n] (+)= acc, plus bias[n] when given.
struct StoreDense {
  float* c;
  int ldc;
  const float* bias;
  bool accumulate;
  __device__ void operator()(int m, int n, float acc, int) const {
    float& out = c[(size_t)m * ldc + n];
    out = (accumulate ? out : 0.0f) + acc + (bias ? bias[n] : 0.0f);
  }
};

template <class A, class B>
void product(const Context& ctx, int M, int N, int K, A a, B b, StoreDense epi, const char* name) {
  launch_gemm(ctx, M, N, K, K, 1, a, b, epi, name);
}
}  // namespace

void dense_forward(const Context& ctx, const DenseShape& s, const float* x, const float* w, const float* b, float* y, KernelImpl impl) {
  NM_CHECK(impl != KernelImpl::Auto, "dense_forward: impl auto is a layer's choice still to be made");
  if (impl == KernelImpl::Library) {
    // y[N, O] = x[N, I] W^T, W stored [O, I].
    cublas_gemm_rowmajor(ctx, false, true, s.n, s.out, s.in, 1.0f, x, s.in, w, s.in, 0.0f, y, s.out);
    if (b) bias_add_forward(ctx, s.n, s.out, 1, b, y);
    return;
  }
  product(ctx, s.n, s.out, s.in, RowMajor{x, s.in, false}, RowMajor{w, s.in, true}, StoreDense{y, s.out, b, false},
          "dense_forward");
}

void dense_backward(const Context& ctx, const DenseShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                    float* db, GradMode mode, KernelImpl impl) {
  NM_CHECK(impl != KernelImpl::Auto, "dense_backward: impl auto is a layer's choice still to be made");
  const bool acc = mode == GradMode::Accumulate;
  if (impl == KernelImpl::Library) {
    const float beta = acc ? 1.0f : 0.0f;
    if (dx) cublas_gemm_rowmajor(ctx, false, false, s.n, s.in, s.out, 1.0f, dy, s.out, w, s.in, beta, dx, s.in);
    if (dw) cublas_gemm_rowmajor(ctx, true, false, s.out, s.in, s.n, 1.0f, dy, s.out, x, s.in, beta, dw, s.in);
  } else {
    // dx[N, I] = dy[N, O] W[O, I];  dW[O, I] = dy^T[O, N] x[N, I]
    if (dx)
      product(ctx, s.n, s.in, s.out, RowMajor{dy, s.out, false}, RowMajor{w, s.in, false}, StoreDense{dx, s.in, nullptr, acc},
              "dense_backward_data");
    if (dw)
      product(ctx, s.out, s.in, s.n, RowMajor{dy, s.out, true}, RowMajor{x, s.in, false}, StoreDense{dw, s.in, nullptr, acc},
              "dense_backward_weights");
  }
  if (db) bias_backward(ctx, s.n, s.out, 1, dy, db, mode);
}

}  // namespace nullmark::cuda
