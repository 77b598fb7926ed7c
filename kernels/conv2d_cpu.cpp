#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "kernels/conv2d.h"

namespace nullmark::cpu {

namespace {

// Images per block: im2col of a block should stay around 256 KiB (measured best on 28x28 MNIST layers) so that it, the GEMM output and
// the weights live in the core's L2 cache while the block is processed.
int block_images(const Conv2dShape& s) {
  const size_t per_image = s.col_rows() * static_cast<size_t>(s.oh()) * s.ow();
  return static_cast<int>(std::clamp<size_t>((64 * 1024) / std::max<size_t>(per_image, 1), 1, s.n));
}

struct Block {
  int first, count;
};

// col[(c*KH+i)*KW+j][g*P + oy*OW + ox] = x[first+g, c, oy*S+i-pad, ox*S+j-pad] (0 outside the image).
void im2col(const Conv2dShape& s, const float* __restrict x, Block b, float* __restrict col) {
  const int oh = s.oh(), ow = s.ow(), p = oh * ow;
  const size_t ncols = static_cast<size_t>(b.count) * p;
  for (int c = 0; c < s.c; ++c)
    for (int i = 0; i < s.kh; ++i)
      for (int j = 0; j < s.kw; ++j) {
        float* row = col + ((static_cast<size_t>(c) * s.kh + i) * s.kw + j) * ncols;
        // Output columns whose input column ox*S+j-pad lies inside the image: [ox0, ox1).
        const int ox0 = std::min(ow, std::max(0, (s.pad - j + s.stride - 1) / s.stride));
        const int ox1 = std::max(ox0, std::min(ow, (s.w - 1 + s.pad - j) / s.stride + 1));
        for (int g = 0; g < b.count; ++g) {
          const float* xc = x + (static_cast<size_t>(b.first + g) * s.c + c) * s.h * s.w;
          for (int oy = 0; oy < oh; ++oy) {
            float* __restrict out = row + static_cast<size_t>(g) * p + oy * ow;
            const int iy = oy * s.stride + i - s.pad;
            if (iy < 0 || iy >= s.h) {
              std::memset(out, 0, sizeof(float) * ow);
              continue;
            }
            const float* __restrict xr = xc + static_cast<size_t>(iy) * s.w + j - s.pad;
            std::fill(out, out + ox0, 0.0f);
            // A plain loop, not memcpy: rows are short (8-24 floats) and a call per row costs more
            // than the copy.
            if (s.stride == 1)
              for (int ox = ox0; ox < ox1; ++ox) out[ox] = xr[ox];
            else
              for (int ox = ox0; ox < ox1; ++ox) out[ox] = xr[ox * s.stride];
            std::fill(out + ox1, out + ow, 0.0f);
          }
        }
      }
}

// Inverse of im2col for one block: sums every column entry back into the input position it was
// read from. Blocks cover disjoint images, so threads never write the same dx element.
void col2im(const Conv2dShape& s, const float* col, Block b, float* dx, GradMode mode) {
  const int oh = s.oh(), ow = s.ow(), p = oh * ow;
  const size_t ncols = static_cast<size_t>(b.count) * p;
  if (mode == GradMode::Overwrite)
    std::memset(dx + static_cast<size_t>(b.first) * s.c * s.h * s.w, 0, sizeof(float) * b.count * s.c * s.h * s.w);
  for (int c = 0; c < s.c; ++c)
    for (int i = 0; i < s.kh; ++i)
      for (int j = 0; j < s.kw; ++j) {
        const float* row = col + ((static_cast<size_t>(c) * s.kh + i) * s.kw + j) * ncols;
        const int ox0 = std::min(ow, std::max(0, (s.pad - j + s.stride - 1) / s.stride));
        const int ox1 = std::max(ox0, std::min(ow, (s.w - 1 + s.pad - j) / s.stride + 1));
        for (int g = 0; g < b.count; ++g) {
          float* dxc = dx + (static_cast<size_t>(b.first + g) * s.c + c) * s.h * s.w;
          for (int oy = 0; oy < oh; ++oy) {
            const int iy = oy * s.stride + i - s.pad;
            if (iy < 0 || iy >= s.h) continue;
            const float* __restrict in = row + static_cast<size_t>(g) * p + oy * ow;
            float* __restrict dr = dxc + static_cast<size_t>(iy) * s.w + j - s.pad;
            if (s.stride == 1)
              for (int ox = ox0; ox < ox1; ++ox) dr[ox] += in[ox];
            else
              for (int ox = ox0; ox < ox1; ++ox) dr[ox * s.stride] += in[ox];
          }
        }
      }
}

// Per-thread scratch: col block, GEMM output / dy block, and (backward) a private dW and db.
struct Scratch {
  float *col, *mat, *dw, *db;
};

size_t per_thread(const Conv2dShape& s) {
  const size_t cols = static_cast<size_t>(block_images(s)) * s.oh() * s.ow();
  return s.col_rows() * cols + static_cast<size_t>(s.f) * cols + static_cast<size_t>(s.f) * s.col_rows() + s.f;
}

Scratch scratch(const Conv2dShape& s, float* work, int thread) {
  const size_t cols = static_cast<size_t>(block_images(s)) * s.oh() * s.ow();
  float* base = work + per_thread(s) * thread;
  Scratch sc;
  sc.col = base;
  sc.mat = sc.col + s.col_rows() * cols;
  sc.dw = sc.mat + static_cast<size_t>(s.f) * cols;
  sc.db = sc.dw + static_cast<size_t>(s.f) * s.col_rows();
  return sc;
}

}  // namespace

size_t conv2d_workspace(const Conv2dShape& s) { return per_thread(s) * omp_get_max_threads(); }

void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y, float* work,
                    float* cols) {
  const int k = static_cast<int>(s.col_rows()), p = s.oh() * s.ow(), g = block_images(s);
  const int blocks = (s.n + g - 1) / g;
#pragma omp parallel
  {
    const Scratch sc = scratch(s, work, omp_get_thread_num());
#pragma omp for schedule(static)
    for (int bi = 0; bi < blocks; ++bi) {
      const Block blk{bi * g, std::min(g, s.n - bi * g)};
      const int ncols = blk.count * p;
      float* col = cols ? cols + s.col_rows() * static_cast<size_t>(blk.first) * p : sc.col;
      im2col(s, x, blk, col);
      // Inside a parallel region OpenBLAS (OpenMP build) runs single-threaded: one GEMM per core.
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.f, ncols, k, 1.0f, w, k, col, ncols, 0.0f, sc.mat,
                  ncols);
      // [F, G, P] -> [G, F, P] with the bias added on the way, from cache.
      for (int img = 0; img < blk.count; ++img)
        for (int f = 0; f < s.f; ++f) {
          const float* src = sc.mat + static_cast<size_t>(f) * ncols + static_cast<size_t>(img) * p;
          float* dst = y + (static_cast<size_t>(blk.first + img) * s.f + f) * p;
          const float bias = b ? b[f] : 0.0f;
          for (int i = 0; i < p; ++i) dst[i] = src[i] + bias;
        }
    }
  }
}

void conv2d_backward(const Conv2dShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                     float* db, GradMode mode, float* work, const float* cols) {
  const int k = static_cast<int>(s.col_rows()), p = s.oh() * s.ow(), g = block_images(s);
  const int blocks = (s.n + g - 1) / g;
  const int threads = omp_get_max_threads();
#pragma omp parallel num_threads(threads)
  {
    const Scratch sc = scratch(s, work, omp_get_thread_num());
    std::memset(sc.dw, 0, sizeof(float) * (static_cast<size_t>(s.f) * k + s.f));
#pragma omp for schedule(static)
    for (int bi = 0; bi < blocks; ++bi) {
      const Block blk{bi * g, std::min(g, s.n - bi * g)};
      const int ncols = blk.count * p;
      for (int img = 0; img < blk.count; ++img)  // dy block as [F, G*P]
        for (int f = 0; f < s.f; ++f)
          std::memcpy(sc.mat + static_cast<size_t>(f) * ncols + static_cast<size_t>(img) * p,
                      dy + (static_cast<size_t>(blk.first + img) * s.f + f) * p, sizeof(float) * p);
      for (int f = 0; f < s.f; ++f) {
        const float* r = sc.mat + static_cast<size_t>(f) * ncols;
        float acc = 0.0f;
        for (int i = 0; i < ncols; ++i) acc += r[i];
        sc.db[f] += acc;
      }
      const float* col = sc.col;
      if (cols)
        col = cols + s.col_rows() * static_cast<size_t>(blk.first) * p;
      else
        im2col(s, x, blk, sc.col);
      // private dW += dy_blk[F, G*P] * col^T[G*P, K]
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s.f, k, ncols, 1.0f, sc.mat, ncols, col, ncols, 1.0f,
                  sc.dw, k);
      if (dx) {
        // dcol[K, G*P] = W^T[K, F] * dy_blk[F, G*P] in scratch, then scattered back.
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, ncols, s.f, 1.0f, w, k, sc.mat, ncols, 0.0f, sc.col,
                    ncols);
        col2im(s, sc.col, blk, dx, mode);
      }
    }
  }
  // Reduce the private gradients in thread order: the result depends only on the thread count.
  const size_t nw = static_cast<size_t>(s.f) * k;
  const bool acc = mode == GradMode::Accumulate;
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < nw + s.f; ++i) {
    float sum = 0.0f;
    for (int t = 0; t < threads; ++t) sum += scratch(s, work, t).dw[i];  // dw and db are adjacent
    if (i < nw)
      dw[i] = (acc ? dw[i] : 0.0f) + sum;
    else if (db)
      db[i - nw] = (acc ? db[i - nw] : 0.0f) + sum;
  }
}

}  // namespace nullmark::cpu
