#include <cblas.h>

#include <cstring>

#include "kernels/conv2d.h"

namespace nullmark::cpu {

namespace {

// col[(c*KH+i)*KW+j][img*P + oy*OW + ox] = x[img, c, oy*S+i-pad, ox*S+j-pad] (0 outside the image).
void im2col(const Conv2dShape& s, const float* x, float* col) {
  const int oh = s.oh(), ow = s.ow(), p = oh * ow;
  const size_t ncols = s.col_cols();
#pragma omp parallel for collapse(2) schedule(static)
  for (int img = 0; img < s.n; ++img)
    for (int c = 0; c < s.c; ++c) {
      const float* xc = x + (static_cast<size_t>(img) * s.c + c) * s.h * s.w;
      for (int i = 0; i < s.kh; ++i)
        for (int j = 0; j < s.kw; ++j) {
          float* row = col + ((static_cast<size_t>(c) * s.kh + i) * s.kw + j) * ncols + static_cast<size_t>(img) * p;
          for (int oy = 0; oy < oh; ++oy) {
            const int iy = oy * s.stride + i - s.pad;
            float* out = row + oy * ow;
            if (iy < 0 || iy >= s.h) {
              std::memset(out, 0, sizeof(float) * ow);
              continue;
            }
            const float* xr = xc + static_cast<size_t>(iy) * s.w;
            for (int ox = 0; ox < ow; ++ox) {
              const int ix = ox * s.stride + j - s.pad;
              out[ox] = (ix >= 0 && ix < s.w) ? xr[ix] : 0.0f;
            }
          }
        }
    }
}

// Inverse of im2col: sums every column entry back into the input position it was read from.
// Parallel over (image, channel) planes, which no two threads share, so the sums are race-free
// and their order fixed.
void col2im(const Conv2dShape& s, const float* col, float* dx, GradMode mode) {
  const int oh = s.oh(), ow = s.ow(), p = oh * ow;
  const size_t ncols = s.col_cols();
#pragma omp parallel for collapse(2) schedule(static)
  for (int img = 0; img < s.n; ++img)
    for (int c = 0; c < s.c; ++c) {
      float* dxc = dx + (static_cast<size_t>(img) * s.c + c) * s.h * s.w;
      if (mode == GradMode::Overwrite) std::memset(dxc, 0, sizeof(float) * s.h * s.w);
      for (int i = 0; i < s.kh; ++i)
        for (int j = 0; j < s.kw; ++j) {
          const float* row =
              col + ((static_cast<size_t>(c) * s.kh + i) * s.kw + j) * ncols + static_cast<size_t>(img) * p;
          for (int oy = 0; oy < oh; ++oy) {
            const int iy = oy * s.stride + i - s.pad;
            if (iy < 0 || iy >= s.h) continue;
            float* dr = dxc + static_cast<size_t>(iy) * s.w;
            const float* in = row + oy * ow;
            for (int ox = 0; ox < ow; ++ox) {
              const int ix = ox * s.stride + j - s.pad;
              if (ix >= 0 && ix < s.w) dr[ix] += in[ox];
            }
          }
        }
    }
}

}  // namespace

size_t conv2d_workspace(const Conv2dShape& s) {
  // col plus one [F, N*P] GEMM result / gradient staging buffer.
  return s.col_rows() * s.col_cols() + static_cast<size_t>(s.f) * s.col_cols();
}

void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y, float* work) {
  const size_t k = s.col_rows(), ncols = s.col_cols();
  const int p = s.oh() * s.ow();
  float* col = work;
  float* out = work + k * ncols;  // [F, N*P]
  im2col(s, x, col);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.f, static_cast<int>(ncols), static_cast<int>(k), 1.0f, w,
              static_cast<int>(k), col, static_cast<int>(ncols), 0.0f, out, static_cast<int>(ncols));
  // [F, N, P] -> [N, F, P], with the bias added on the way.
#pragma omp parallel for collapse(2) schedule(static)
  for (int img = 0; img < s.n; ++img)
    for (int f = 0; f < s.f; ++f) {
      const float* src = out + static_cast<size_t>(f) * ncols + static_cast<size_t>(img) * p;
      float* dst = y + (static_cast<size_t>(img) * s.f + f) * p;
      const float bias = b ? b[f] : 0.0f;
      for (int i = 0; i < p; ++i) dst[i] = src[i] + bias;
    }
}

void conv2d_backward(const Conv2dShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                     float* db, GradMode mode, float* work) {
  const size_t k = s.col_rows(), ncols = s.col_cols();
  const int p = s.oh() * s.ow();
  float* col = work;
  float* dyt = work + k * ncols;  // dy as [F, N*P]
#pragma omp parallel for collapse(2) schedule(static)
  for (int img = 0; img < s.n; ++img)
    for (int f = 0; f < s.f; ++f)
      std::memcpy(dyt + static_cast<size_t>(f) * ncols + static_cast<size_t>(img) * p,
                  dy + (static_cast<size_t>(img) * s.f + f) * p, sizeof(float) * p);
  if (db) {
#pragma omp parallel for schedule(static)
    for (int f = 0; f < s.f; ++f) {
      const float* r = dyt + static_cast<size_t>(f) * ncols;
      double acc = 0.0;  // double: a sum over N*P terms, kept free of order-dependent drift
      for (size_t i = 0; i < ncols; ++i) acc += r[i];
      db[f] = (mode == GradMode::Accumulate ? db[f] : 0.0f) + static_cast<float>(acc);
    }
  }
  im2col(s, x, col);
  // dW[F, K] (+)= dyT[F, NP] * col^T[NP, K]
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s.f, static_cast<int>(k), static_cast<int>(ncols), 1.0f, dyt,
              static_cast<int>(ncols), col, static_cast<int>(ncols), grad_beta(mode), dw, static_cast<int>(k));
  if (dx) {
    // dcol[K, NP] = W^T[K, F] * dyT[F, NP], written over col (no longer needed), then scattered back.
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(k), static_cast<int>(ncols), s.f, 1.0f, w,
                static_cast<int>(k), dyt, static_cast<int>(ncols), 0.0f, col, static_cast<int>(ncols));
    col2im(s, col, dx, mode);
  }
}

}  // namespace nullmark::cpu
