#include <cblas.h>

#include "kernels/bias.h"
#include "kernels/dense.h"

namespace nullmark::cpu {

void dense_forward(const DenseShape& s, const float* x, const float* w, const float* b, float* y) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s.n, s.out, s.in, 1.0f, x, s.in, w, s.in, 0.0f, y, s.out);
  if (b) bias_add_forward(s.n, s.out, 1, b, y);
}

void dense_backward(const DenseShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                    float* db, GradMode mode) {
  // dW[O, I] (+)= dy^T[O, N] * x[N, I]
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s.out, s.in, s.n, 1.0f, dy, s.out, x, s.in, grad_beta(mode), dw,
              s.in);
  if (db) bias_backward(s.n, s.out, 1, dy, db, mode);
  // dx[N, I] (+)= dy[N, O] * W[O, I]
  if (dx)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.n, s.in, s.out, 1.0f, dy, s.out, w, s.in,
                grad_beta(mode), dx, s.in);
}

}  // namespace nullmark::cpu
