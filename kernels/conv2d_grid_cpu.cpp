#include "kernels/conv2d_grid_cpu.h"

#include "kernels/conv2d_taps_cpu.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace nullmark::cpu::conv_grid {

namespace {
using namespace conv_taps;

// Geometry of one padded image plane: pitch W + 2, H + 2 rows, and slack behind the last plane so
// that a block starting at any output position may read its full width.
struct Grid {
  int pitch, rows;
  size_t plane;   // floats per padded channel plane
  size_t cells;   // output grid positions: OH * pitch
  size_t blocks;  // blocks of kLanes covering the cells
  explicit Grid(int h, int w)
      : pitch(w + 2), rows(h + 2), plane(static_cast<size_t>(h + 2) * (w + 2)),
        cells(static_cast<size_t>(h) * (w + 2)), blocks((cells + kLanes - 1) / kLanes) {}
  // A block reads up to kLanes - 1 positions past the last cell, shifted by up to 2 rows and 2
  // columns; the weight gradient's grid is rounded up to whole blocks as well.
  size_t slack() const { return 2 * static_cast<size_t>(pitch) + 2 + 2 * kLanes; }
  size_t padded_floats(int channels) const { return channels * plane + slack(); }
  // Tap (i, j) reads row i and column j further on the padded grid.
  Taps<9> taps() const {
    Taps<9> t;
    for (int k = 0; k < 9; ++k) t.offset[k] = (k / 3) * pitch + k % 3, t.weight[k] = k;
    return t;
  }
};

// Copies channels x [C, H, W] into its zero-padded planes (borders and slack stay zero: written once).
// With `mask` (a fused ReLU's output), values where mask <= 0 are copied as 0.
template <class T>
void pad_image(const T* x, const T* mask, int channels, int h, int w, const Grid& g, T* out) {
  for (int c = 0; c < channels; ++c)
    for (int r = 0; r < h; ++r) {
      const size_t in = (static_cast<size_t>(c) * h + r) * w;
      T* dst = out + c * g.plane + static_cast<size_t>(r + 1) * g.pitch + 1;
      if (mask)
        for (int k = 0; k < w; ++k) dst[k] = mask[in + k] > T(0) ? x[in + k] : T(0);
      else
        std::memcpy(dst, x + in, sizeof(T) * w);
    }
}

// out[co][oy][ox] (=|+=) bias + sum over ci, i, j of w[co][ci][i][j] * xpad[ci][oy + i][ox + j], for
// FB output channels from co0, on the grid. Sums run over ci, then i, then j, for every output.
template <int FB, class T>
void conv_block(const T* xpad, int cin, const Grid& g, const T* w, int co0, int oh, int ow, T* out, const T* bias,
                bool relu, bool accumulate) {
  const Taps<9> taps = g.taps();
  for (size_t blk = 0; blk < g.blocks; ++blk) {
    const size_t p0 = blk * kLanes;
    T tile[FB][kLanes];
    tap_block<FB>(xpad, g.plane, cin, taps, w, static_cast<size_t>(cin) * 9, co0, p0, tile);
    // The lanes' grid row and column, stepped rather than divided: a division per lane cost as much
    // as the block's multiply-adds with 16 input channels.
    int oy = static_cast<int>(p0 / g.pitch), ox = static_cast<int>(p0 % g.pitch);
    for (int l = 0; l < kLanes; ++l, ++ox) {
      if (ox == g.pitch) ox = 0, ++oy;
      if (oy >= oh || ox >= ow) continue;
      for (int fb = 0; fb < FB; ++fb) {
        T* o = out + (static_cast<size_t>(co0 + fb) * oh + oy) * ow + ox;
        T v = tile[fb][l] + (bias ? bias[co0 + fb] : T(0));
        if (relu) v = std::max(v, T(0));
        *o = accumulate ? *o + v : v;
      }
    }
  }
}

// Every output channel, in blocks of the widest register block that divides the count.
template <class T>
void conv_image(const T* xpad, int cin, const Grid& g, const T* w, int cout, int oh, int ow, T* out, const T* bias,
                bool relu, bool accumulate) {
  int co = 0;
  for (; co + 8 <= cout; co += 8) conv_block<8>(xpad, cin, g, w, co, oh, ow, out, bias, relu, accumulate);
  for (; co + 4 <= cout; co += 4) conv_block<4>(xpad, cin, g, w, co, oh, ow, out, bias, relu, accumulate);
  for (; co < cout; ++co) conv_block<1>(xpad, cin, g, w, co, oh, ow, out, bias, relu, accumulate);
}

// Weight-gradient grid length per filter: the cells rounded up to whole vectors.
size_t dw_grid(const Grid& g) { return (g.cells + 15) / 16 * 16; }

// Images per block of the backward pass. The weight gradient reduces its 18 vector partial sums
// once per block and filter pair (288 scalar additions): blocks hold at least 64 vectors of grid
// per filter, so that the reduction stays small beside the multiply-adds (8x8 images: 13 per
// block), and at most about 1 MiB of padded inputs and gradients, so that they stay in cache.
int block_images(const Conv2dShape& s, const Grid& g) {
  const size_t vectors = dw_grid(g) / 16;
  const size_t per_image = (static_cast<size_t>(s.c) + s.f) * g.plane + static_cast<size_t>(s.f) * dw_grid(g);
  const size_t wanted = (64 + vectors - 1) / vectors, fits = std::max<size_t>((256 * 1024) / per_image, 1);
  return static_cast<int>(std::clamp<size_t>(std::min(wanted, fits), 1, s.n));
}

// A thread's part of the backward pass's scratch.
template <class T>
struct Scratch {
  T *xpad, *dypad, *dyg, *flipped, *dw, *db;
  size_t zeroed;  // floats from xpad on that must start zero (planes' borders and slack)
};
}  // namespace

bool applies(const Conv2dShape& s) {
  // Even filter counts: the weight gradient works on pairs of filters.
  return s.kh == 3 && s.kw == 3 && s.stride == 1 && s.pad == 1 && s.f % 2 == 0;
}

namespace {
template <class T>
Scratch<T> scratch(const Conv2dShape& s, T* work, int thread) {
  const Grid g(s.h, s.w);
  const size_t b = block_images(s, g), weights = static_cast<size_t>(s.f) * s.c * 9;
  Scratch<T> sc;
  sc.xpad = work + per_thread(s) * thread;
  sc.dypad = sc.xpad + b * s.c * g.plane + g.slack();
  sc.dyg = sc.dypad + b * s.f * g.plane + g.slack();
  sc.flipped = sc.dyg + b * s.f * dw_grid(g);
  sc.dw = sc.flipped + weights;
  sc.db = sc.dw + weights;
  sc.zeroed = static_cast<size_t>(sc.flipped - sc.xpad);
  return sc;
}
}  // namespace

bool weight_gradient_applies(const Conv2dShape& s) { return applies(s) && s.w >= 8; }

size_t per_thread(const Conv2dShape& s) {
  const Grid g(s.h, s.w);
  const size_t b = block_images(s, g), weights = static_cast<size_t>(s.f) * s.c * 9;
  // forward: one padded input. backward, per block of images: padded inputs, padded masked dy, dy
  // on the grid (the weight gradient's operand); then the flipped filters and the private weight
  // and bias gradients.
  const size_t backward = b * s.c * g.plane + g.slack() + b * s.f * g.plane + g.slack() +
                          b * s.f * dw_grid(g) + 2 * weights + s.f;
  return std::max(g.padded_floats(s.c), backward);
}

template <class T>
void forward(const Conv2dShape& s, const T* x, const T* w, const T* b, T* y, T* work) {
  const Grid g(s.h, s.w);
  const size_t in = static_cast<size_t>(s.c) * s.h * s.w, out = static_cast<size_t>(s.f) * s.h * s.w;
#pragma omp parallel
  {
    T* xpad = work + per_thread(s) * omp_get_thread_num();
    std::fill(xpad, xpad + g.padded_floats(s.c), T(0));
#pragma omp for schedule(static)
    for (int n = 0; n < s.n; ++n) {
      pad_image<T>(x + n * in, nullptr, s.c, s.h, s.w, g, xpad);
      conv_image(xpad, s.c, g, w, s.f, s.h, s.w, y + n * out, b, s.relu, false);
    }
  }
}

template <class T>
void backward(const Conv2dShape& s, const T* x, const T* w, const T* y, const T* dy, T* dx, T* dw, T* db,
              GradMode mode, T* work) {
  const Grid g(s.h, s.w);
  const size_t grid_len = dw_grid(g);
  const size_t in = static_cast<size_t>(s.c) * s.h * s.w, out = static_cast<size_t>(s.f) * s.h * s.w;
  const size_t weights = static_cast<size_t>(s.f) * s.c * 9;
  const size_t x_image = s.c * g.plane, dy_image = s.f * g.plane, dyg_image = s.f * grid_len;
  const int threads = omp_get_max_threads(), per_block = block_images(s, g);
  const Taps<9> taps = g.taps();
  const int blocks = (s.n + per_block - 1) / per_block;
#pragma omp parallel num_threads(threads)
  {
    const Scratch<T> sc = scratch(s, work, omp_get_thread_num());
    std::fill(sc.xpad, sc.xpad + sc.zeroed, T(0));
    std::fill(sc.dw, sc.dw + weights + s.f, T(0));
    // The input gradient's filters: flipped[c][f][2 - i][2 - j] = w[f][c][i][j].
    if (dx)
      for (int f = 0; f < s.f; ++f)
        for (int c = 0; c < s.c; ++c)
          for (int t = 0; t < 9; ++t)
            sc.flipped[(static_cast<size_t>(c) * s.f + f) * 9 + 8 - t] = w[(static_cast<size_t>(f) * s.c + c) * 9 + t];
#pragma omp for schedule(static)
    for (int bi = 0; bi < blocks; ++bi) {
      const int first = bi * per_block, count = std::min(per_block, s.n - first);
      for (int img = 0; img < count; ++img) {
        const int n = first + img;
        T* dypad = sc.dypad + img * dy_image;
        // dy, masked, into padded planes (the input gradient's input); their interior on the grid
        // is the weight gradient's operand (pitch W + 2, unused columns zero).
        pad_image<T>(dy + n * out, s.relu ? y + n * out : nullptr, s.f, s.h, s.w, g, dypad);
        if (db)
          for (int f = 0; f < s.f; ++f) {
            T acc = 0;
            const T* r = dypad + f * g.plane + g.pitch + 1;
            for (size_t p = 0; p < g.cells; ++p) acc += r[p];  // unused columns are zero
            sc.db[f] += acc;
          }
        if (dw) {
          for (int f = 0; f < s.f; ++f)
            std::memcpy(sc.dyg + img * dyg_image + f * grid_len, dypad + f * g.plane + g.pitch + 1,
                        sizeof(T) * g.cells);
          pad_image<T>(x + n * in, nullptr, s.c, s.h, s.w, g, sc.xpad + img * x_image);
        }
      }
      if (dw)
        for (int f0 = 0; f0 < s.f; f0 += 2)
          weight_grad_pair(sc.xpad, x_image, g.plane, sc.dyg, dyg_image, grid_len, taps, s.c, f0, count, sc.dw);
      if (dx)
        for (int img = 0; img < count; ++img)
          conv_image(sc.dypad + img * dy_image, s.f, g, sc.flipped, s.c, s.h, s.w, dx + (first + img) * in,
                     static_cast<const T*>(nullptr), false, mode == GradMode::Accumulate);
    }
  }
  // The private gradients, reduced in thread order.
  const bool acc = mode == GradMode::Accumulate;
  if (dw)
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < weights; ++i) {
      T sum = 0;
      for (int t = 0; t < threads; ++t) sum += scratch(s, work, t).dw[i];
      dw[i] = (acc ? dw[i] : T(0)) + sum;
    }
  if (db)
    for (int f = 0; f < s.f; ++f) {
      T sum = 0;
      for (int t = 0; t < threads; ++t) sum += scratch(s, work, t).db[f];
      db[f] = (acc ? db[f] : T(0)) + sum;
    }
}

template void forward<float>(const Conv2dShape&, const float*, const float*, const float*, float*, float*);
template void forward<double>(const Conv2dShape&, const double*, const double*, const double*, double*, double*);
template void backward<float>(const Conv2dShape&, const float*, const float*, const float*, const float*, float*,
                              float*, float*, GradMode, float*);
template void backward<double>(const Conv2dShape&, const double*, const double*, const double*, const double*,
                               double*, double*, double*, GradMode, double*);

}  // namespace nullmark::cpu::conv_grid
