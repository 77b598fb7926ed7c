#include <omp.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <utility>

#include "kernels/blas.h"
#include "kernels/conv2d.h"
#include "kernels/conv2d_grid_cpu.h"
#include "kernels/conv2d_phase_cpu.h"
#include "kernels/conv2d_taps_cpu.h"
#include "kernels/conv2d_unpadded_cpu.h"
#include "kernels/conv2d_winograd_cpu.h"

namespace nullmark::cpu {

namespace {

// Images per block: im2col of a block should stay around 256 KiB (measured best on 28x28 MNIST layers) so that it, the
// GEMM output and the weights live in the core's L2 cache while the block is processed.
int block_images(const Conv2dShape& s) {
  const size_t per_image = s.col_rows() * static_cast<size_t>(s.oh()) * s.ow();
  return static_cast<int>(std::clamp<size_t>((64 * 1024) / std::max<size_t>(per_image, 1), 1, s.n));
}

struct Block {
  int first, count;
};

// col[(c*KH+i)*KW+j][g*P + oy*OW + ox] = x[first+g, c, oy*S+i-pad, ox*S+j-pad] (0 outside the image).
// Stride 1 without padding (both convolutions of the "digit" model): every lowered row is a run of
// whole OW-wide input segments. With OW a compile-time constant the segment copy / add becomes a few
// straight vector moves; a runtime-length loop of 8 floats costs several times more.
template <int OW, class T>
void im2col_dense(const Conv2dShape& s, const T* __restrict x, Block b, T* __restrict col) {
  const int oh = s.oh(), p = oh * OW;
  const size_t ncols = static_cast<size_t>(b.count) * p;
  for (int c = 0; c < s.c; ++c)
    for (int i = 0; i < s.kh; ++i)
      for (int j = 0; j < s.kw; ++j) {
        T* __restrict row = col + ((static_cast<size_t>(c) * s.kh + i) * s.kw + j) * ncols;
        for (int g = 0; g < b.count; ++g) {
          const T* __restrict xr = x + (static_cast<size_t>(b.first + g) * s.c + c) * s.h * s.w + i * s.w + j;
          T* __restrict out = row + static_cast<size_t>(g) * p;
          for (int oy = 0; oy < oh; ++oy)
            for (int ox = 0; ox < OW; ++ox) out[oy * OW + ox] = xr[oy * s.w + ox];
        }
      }
}

template <int OW, class T>
void col2im_dense(const Conv2dShape& s, const T* __restrict col, Block b, T* __restrict dx) {
  const int oh = s.oh(), p = oh * OW;
  const size_t ncols = static_cast<size_t>(b.count) * p;
  for (int c = 0; c < s.c; ++c)
    for (int i = 0; i < s.kh; ++i)
      for (int j = 0; j < s.kw; ++j) {
        const T* __restrict row = col + ((static_cast<size_t>(c) * s.kh + i) * s.kw + j) * ncols;
        for (int g = 0; g < b.count; ++g) {
          T* __restrict dr = dx + (static_cast<size_t>(b.first + g) * s.c + c) * s.h * s.w + i * s.w + j;
          const T* __restrict in = row + static_cast<size_t>(g) * p;
          for (int oy = 0; oy < oh; ++oy)
            for (int ox = 0; ox < OW; ++ox) dr[oy * s.w + ox] += in[oy * OW + ox];
        }
      }
}

// Calls f(std::integral_constant<int, OW>) when the output width has a compiled version.
template <class F>
bool with_fixed_width(int ow, F&& f) {
  switch (ow) {
    case 4:
      return f(std::integral_constant<int, 4>{}), true;
    case 8:
      return f(std::integral_constant<int, 8>{}), true;
    case 12:
      return f(std::integral_constant<int, 12>{}), true;
    case 16:
      return f(std::integral_constant<int, 16>{}), true;
    case 24:
      return f(std::integral_constant<int, 24>{}), true;
    case 28:
      return f(std::integral_constant<int, 28>{}), true;
    case 32:
      return f(std::integral_constant<int, 32>{}), true;
    default:
      return false;
  }
}

// Output columns [ox0, ox1) whose input column ox * stride + j - pad lies inside the image, for
// kernel column j. The last one rounds down: when tap j lies right of the image for every output
// column (a kernel wider than the image and its left padding), w - 1 + pad - j is negative, and
// C++'s division, which rounds toward zero, would let ox = 0 read past the row.
std::pair<int, int> inside_columns(const Conv2dShape& s, int j) {
  const int ow = s.ow(), last = s.w - 1 + s.pad - j;
  const int ox0 = std::min(ow, std::max(0, (s.pad - j + s.stride - 1) / s.stride));
  const int ox1 = last < 0 ? ox0 : std::max(ox0, std::min(ow, last / s.stride + 1));
  return {ox0, ox1};
}

template <class T>
void im2col(const Conv2dShape& s, const T* __restrict x, Block b, T* __restrict col) {
  if (s.stride == 1 && s.pad == 0 &&
      with_fixed_width(s.ow(), [&](auto width) { im2col_dense<decltype(width)::value>(s, x, b, col); }))
    return;
  const int oh = s.oh(), ow = s.ow(), p = oh * ow;
  const size_t ncols = static_cast<size_t>(b.count) * p;
  for (int c = 0; c < s.c; ++c)
    for (int i = 0; i < s.kh; ++i)
      for (int j = 0; j < s.kw; ++j) {
        T* row = col + ((static_cast<size_t>(c) * s.kh + i) * s.kw + j) * ncols;
        const auto [ox0, ox1] = inside_columns(s, j);
        for (int g = 0; g < b.count; ++g) {
          const T* xc = x + (static_cast<size_t>(b.first + g) * s.c + c) * s.h * s.w;
          for (int oy = 0; oy < oh; ++oy) {
            T* __restrict out = row + static_cast<size_t>(g) * p + oy * ow;
            const int iy = oy * s.stride + i - s.pad;
            if (iy < 0 || iy >= s.h) {
              std::fill(out, out + ow, T(0));
              continue;
            }
            const T* __restrict xr = xc + static_cast<size_t>(iy) * s.w + j - s.pad;
            std::fill(out, out + ox0, T(0));
            // A plain loop, not memcpy: rows are short (8-24 floats) and a call per row costs more
            // than the copy.
            if (s.stride == 1)
              for (int ox = ox0; ox < ox1; ++ox) out[ox] = xr[ox];
            else
              for (int ox = ox0; ox < ox1; ++ox) out[ox] = xr[ox * s.stride];
            std::fill(out + ox1, out + ow, T(0));
          }
        }
      }
}

// Inverse of im2col for one block: sums every column entry back into the input position it was
// read from. Blocks cover disjoint images, so threads never write the same dx element.
template <class T>
void col2im(const Conv2dShape& s, const T* col, Block b, T* dx, GradMode mode) {
  const int oh = s.oh(), ow = s.ow(), p = oh * ow;
  const size_t ncols = static_cast<size_t>(b.count) * p;
  if (mode == GradMode::Overwrite)
    std::fill(dx + static_cast<size_t>(b.first) * s.c * s.h * s.w,
              dx + static_cast<size_t>(b.first + b.count) * s.c * s.h * s.w, T(0));
  if (s.stride == 1 && s.pad == 0 &&
      with_fixed_width(s.ow(), [&](auto width) { col2im_dense<decltype(width)::value>(s, col, b, dx); }))
    return;
  for (int c = 0; c < s.c; ++c)
    for (int i = 0; i < s.kh; ++i)
      for (int j = 0; j < s.kw; ++j) {
        const T* row = col + ((static_cast<size_t>(c) * s.kh + i) * s.kw + j) * ncols;
        const auto [ox0, ox1] = inside_columns(s, j);
        for (int g = 0; g < b.count; ++g) {
          T* dxc = dx + (static_cast<size_t>(b.first + g) * s.c + c) * s.h * s.w;
          for (int oy = 0; oy < oh; ++oy) {
            const int iy = oy * s.stride + i - s.pad;
            if (iy < 0 || iy >= s.h) continue;
            const T* __restrict in = row + static_cast<size_t>(g) * p + oy * ow;
            T* __restrict dr = dxc + static_cast<size_t>(iy) * s.w + j - s.pad;
            if (s.stride == 1)
              for (int ox = ox0; ox < ox1; ++ox) dr[ox] += in[ox];
            else
              for (int ox = ox0; ox < ox1; ++ox) dr[ox * s.stride] += in[ox];
          }
        }
      }
}

// dst[c, r] = src[r, c] for a rows x cols matrix: the direct forms' operands (conv2d_unpadded_cpu.h)
// take the filters as the last, contiguous index.
template <class T>
void transpose(const T* src, int rows, int cols, T* dst) {
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) dst[static_cast<size_t>(c) * rows + r] = src[static_cast<size_t>(r) * cols + c];
}

// Per-thread scratch: col block, GEMM output / dy block, and (backward) a private dW and db. The col
// block also holds the direct weight gradient's transposed dy block, F rows where it has C*KH*KW.
template <class T>
struct Scratch {
  T *col, *mat, *dw, *db;
};

size_t col_floats(const Conv2dShape& s) {
  return std::max(s.col_rows(), static_cast<size_t>(s.f)) * block_images(s) * s.oh() * s.ow();
}

size_t per_thread(const Conv2dShape& s) {
  const size_t cols = static_cast<size_t>(block_images(s)) * s.oh() * s.ow();
  return col_floats(s) + static_cast<size_t>(s.f) * cols + static_cast<size_t>(s.f) * s.col_rows() + s.f;
}

template <class T>
Scratch<T> scratch(const Conv2dShape& s, T* work, int thread) {
  const size_t cols = static_cast<size_t>(block_images(s)) * s.oh() * s.ow();
  T* base = work + per_thread(s) * thread;
  Scratch<T> sc;
  sc.col = base;
  sc.mat = sc.col + col_floats(s);
  sc.dw = sc.mat + static_cast<size_t>(s.f) * cols;
  sc.db = sc.dw + static_cast<size_t>(s.f) * s.col_rows();
  return sc;
}

}  // namespace

bool conv2d_winograd_applies(const Conv2dShape& s) { return conv_winograd::applies(s); }

size_t conv2d_workspace(const Conv2dShape& s) {
  const size_t lowered = per_thread(s);
  const size_t direct = conv_grid::applies(s)    ? conv_grid::per_thread(s)
                        : conv_phase::applies(s) ? conv_phase::per_thread(s)
                                                 : 0;
  const size_t total = std::max(direct, lowered) * omp_get_max_threads();
  // The Winograd form's passes run one at a time with the direct weight gradient's: the larger of the two.
  return s.winograd && conv_winograd::applies(s) ? std::max(total, conv_winograd::workspace(s, omp_get_max_threads()))
                                                 : total;
}

template <class T>
void conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* b, T* y, T* work) {
  if (s.winograd && conv_winograd::applies(s)) return conv_winograd::forward(s, x, w, b, y, work);
  if (conv_grid::applies(s)) return conv_grid::forward(s, x, w, b, y, work);
  if (conv_phase::applies(s)) return conv_phase::forward(s, x, w, b, y, work);
  const int k = static_cast<int>(s.col_rows()), p = s.oh() * s.ow(), g = block_images(s);
  const int blocks = (s.n + g - 1) / g;
  // The small unpadded shapes' products run directly, to the same bits (conv2d_unpadded_cpu.h).
  const bool direct = conv_unpadded::forward_applies<T>(s);
#pragma omp parallel
  {
    const Scratch<T> sc = scratch(s, work, omp_get_thread_num());
    if (direct) transpose(w, s.f, k, sc.dw);  // [K, F], in the weight-gradient scratch (unused here)
#pragma omp for schedule(static)
    for (int bi = 0; bi < blocks; ++bi) {
      const Block blk{bi * g, std::min(g, s.n - bi * g)};
      const int ncols = blk.count * p;
      // The block's sums: lowered, mat[F, G*P]; direct, col[G*P, F].
      size_t f_stride = ncols, col_stride = 1;
      const T* sums = sc.mat;
      if (direct) {
        conv_unpadded::forward_products(s, x, blk.first, blk.count, sc.dw, sc.col);
        f_stride = 1, col_stride = s.f, sums = sc.col;
      } else {
        im2col(s, x, blk, sc.col);
        // Inside a parallel region OpenBLAS (OpenMP build) runs single-threaded: one GEMM per core.
        gemm(false, false, s.f, ncols, k, T(1), w, k, sc.col, ncols, T(0), sc.mat, ncols);
      }
      // To [G, F, P] with the bias (and ReLU) applied on the way, from cache.
      for (int img = 0; img < blk.count; ++img)
        for (int f = 0; f < s.f; ++f) {
          const T* src = sums + f * f_stride + static_cast<size_t>(img) * p * col_stride;
          T* dst = y + (static_cast<size_t>(blk.first + img) * s.f + f) * p;
          const T bias = b ? b[f] : T(0);
          if (s.relu)
            for (int i = 0; i < p; ++i) dst[i] = std::max(src[i * col_stride] + bias, T(0));
          else
            for (int i = 0; i < p; ++i) dst[i] = src[i * col_stride] + bias;
        }
    }
  }
}

template <class T>
void conv2d_backward(const Conv2dShape& s, const T* x, const T* w, const T* y, const T* dy, T* dx, T* dw, T* db,
                     GradMode mode, T* work) {
  // The direct forms compute the input gradient; their weight gradients run where they are the
  // faster (the stride-1 form's on images of 8 columns and more, the stride-2 form's on outputs of
  // 16 columns and more). Elsewhere the lowered GEMM below computes the weight and bias gradients.
  // The Winograd form computes the input gradient alone; the weight gradient follows as without it.
  if (s.winograd && conv_winograd::applies(s)) {
    if (dx) conv_winograd::input_gradient(s, w, y, dy, dx, mode, work);
    if (dw && !db && conv_winograd::weight_gradient_applies(s))
      return conv_winograd::weight_gradient(s, x, y, dy, dw, mode, work);
    if (!dw && !db) return;
    dx = nullptr;
  }
  const bool grid = conv_grid::applies(s), phase = conv_phase::applies(s);
  if (grid || phase) {
    const bool direct_dw = grid ? conv_grid::weight_gradient_applies(s) : conv_phase::weight_gradient_applies(s);
    if (grid)
      conv_grid::backward(s, x, w, y, dy, dx, direct_dw ? dw : nullptr, direct_dw ? db : nullptr, mode, work);
    else
      conv_phase::backward(s, x, w, y, dy, dx, direct_dw ? dw : nullptr, direct_dw ? db : nullptr, mode, work);
    if (direct_dw || (!dw && !db)) return;
    dx = nullptr;
  }
  const int k = static_cast<int>(s.col_rows()), p = s.oh() * s.ow(), g = block_images(s);
  const int blocks = (s.n + g - 1) / g;
  const int threads = omp_get_max_threads();
  // The small unpadded shapes' products run directly, to the same bits (conv2d_unpadded_cpu.h).
  const bool direct_dw = conv_unpadded::weight_gradient_applies<T>(s, g * p);
  const bool direct_dx = conv_unpadded::input_gradient_applies<T>(s);
#pragma omp parallel num_threads(threads)
  {
    const Scratch<T> sc = scratch(s, work, omp_get_thread_num());
    std::fill(sc.dw, sc.dw + static_cast<size_t>(s.f) * k + s.f, T(0));
#pragma omp for schedule(static)
    for (int bi = 0; bi < blocks; ++bi) {
      const Block blk{bi * g, std::min(g, s.n - bi * g)};
      const int ncols = blk.count * p;
      for (int img = 0; img < blk.count; ++img)  // dy block as [F, G*P], ReLU mask applied
        for (int f = 0; f < s.f; ++f) {
          const size_t off = (static_cast<size_t>(blk.first + img) * s.f + f) * p;
          T* dst = sc.mat + static_cast<size_t>(f) * ncols + static_cast<size_t>(img) * p;
          if (s.relu)
            for (int i = 0; i < p; ++i) dst[i] = y[off + i] > T(0) ? dy[off + i] : T(0);
          else
            std::memcpy(dst, dy + off, sizeof(T) * p);
        }
      if (db) conv_taps::add_row_sums(sc.mat, s.f, ncols, static_cast<size_t>(ncols), sc.db);
      if (dw && direct_dw) {
        transpose(sc.mat, s.f, ncols, sc.col);  // dy as [G*P, F] (the col scratch is free here)
        conv_unpadded::weight_gradient(s, x, blk.first, blk.count, sc.col, sc.dw);
      } else if (dw) {
        im2col(s, x, blk, sc.col);
        // private dW += dy_blk[F, G*P] * col^T[G*P, K]
        gemm(false, true, s.f, k, ncols, T(1), sc.mat, ncols, sc.col, ncols, T(1), sc.dw, k);
      }
      if (dx && direct_dx) {
        conv_unpadded::input_gradient(s, w, sc.mat, static_cast<size_t>(ncols), blk.first, blk.count, dx, mode);
      } else if (dx) {
        // dcol[K, G*P] = W^T[K, F] * dy_blk[F, G*P] in scratch, then scattered back.
        gemm(true, false, k, ncols, s.f, T(1), w, k, sc.mat, ncols, T(0), sc.col, ncols);
        col2im(s, sc.col, blk, dx, mode);
      }
    }
  }
  // Reduce the private gradients in thread order: the result depends only on the thread count.
  // dw and db are adjacent in each thread's scratch; a null one covers no range.
  const size_t nw = static_cast<size_t>(s.f) * k;
  const size_t first = dw ? 0 : nw, last = db ? nw + s.f : nw;
  const bool acc = mode == GradMode::Accumulate;
#pragma omp parallel for schedule(static)
  for (size_t i = first; i < last; ++i) {
    // The direct weight gradient keeps its partial sums filter-minor ([C*KH*KW, F]).
    const size_t at = direct_dw && i < nw ? (i % k) * s.f + i / k : i;
    T sum = 0;
    for (int t = 0; t < threads; ++t) sum += scratch(s, work, t).dw[at];
    if (i < nw)
      dw[i] = (acc ? dw[i] : T(0)) + sum;
    else
      db[i - nw] = (acc ? db[i - nw] : T(0)) + sum;
  }
}

template void conv2d_forward<float>(const Conv2dShape&, const float*, const float*, const float*, float*, float*);
template void conv2d_forward<double>(const Conv2dShape&, const double*, const double*, const double*, double*, double*);
template void conv2d_backward<float>(const Conv2dShape&, const float*, const float*, const float*, const float*, float*,
                                     float*, float*, GradMode, float*);
template void conv2d_backward<double>(const Conv2dShape&, const double*, const double*, const double*, const double*,
                                      double*, double*, double*, GradMode, double*);

}  // namespace nullmark::cpu
