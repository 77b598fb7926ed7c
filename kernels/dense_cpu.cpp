#include "kernels/bias.h"
#include "kernels/blas.h"
#include "kernels/dense.h"

namespace nullmark::cpu {

template <class T>
void dense_forward(const DenseShape& s, const T* x, const T* w, const T* b, T* y) {
  gemm(false, true, s.n, s.out, s.in, T(1), x, s.in, w, s.in, T(0), y, s.out);
  if (b) bias_add_forward(s.n, s.out, 1, b, y);
}

template <class T>
void dense_backward(const DenseShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db, GradMode mode) {
  const T beta = mode == GradMode::Accumulate ? T(1) : T(0);
  if (dw) gemm(true, false, s.out, s.in, s.n, T(1), dy, s.out, x, s.in, beta, dw, s.in);  // dW[O,I] (+)= dy^T x
  if (db) bias_backward(s.n, s.out, 1, dy, db, mode);
  if (dx) gemm(false, false, s.n, s.in, s.out, T(1), dy, s.out, w, s.in, beta, dx, s.in);  // dx (+)= dy W
}

template void dense_forward<float>(const DenseShape&, const float*, const float*, const float*, float*);
template void dense_forward<double>(const DenseShape&, const double*, const double*, const double*, double*);
template void dense_backward<float>(const DenseShape&, const float*, const float*, const float*, float*, float*, float*,
                                    GradMode);
template void dense_backward<double>(const DenseShape&, const double*, const double*, const double*, double*, double*,
                                     double*, GradMode);

}  // namespace nullmark::cpu
