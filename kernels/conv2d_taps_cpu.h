// The register-blocked loops shared by the CPU's direct 3x3 convolutions: conv2d_grid_cpu.cpp
// (stride 1) and conv2d_phase_cpu.cpp (stride 2). Both lay each input channel out as zero-padded
// planes on a grid of pitch P, so that every kernel tap of every output grid position p reads position
// p + offset(tap) of its channel: a contiguous shift, which vector loads take 16 positions at a time.
// A tap list (a small struct: `count`, and per tap t its `offset(t)` and which of the nine weights,
// `weight(t)` = i * 3 + j, it multiplies) is a type, so that the unrolled loops see each offset as
// arithmetic on the pitch: passed as a table, the offsets took registers the accumulators needed,
// and the forward pass ran 1.3x slower (measured). Internal to the kernels.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "kernels/conv2d.h"

// Without AVX-512 (a portable build), GCC and clang note that 64-byte vectors passed by value have
// another calling convention there; these functions are inline and internal to the two kernels'
// files, so no call crosses that boundary.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace nullmark::cpu::conv_taps {

// Grid positions per block: three 512-bit vectors of float. With 8 output channels a block holds 24
// accumulators and each tap's 3 input vectors and 8 weights feed 24 multiply-adds; with two vectors
// (16 to 10 loads) the forward and input-gradient passes ran 1.15-1.3x slower (bench/ab_cpu.py).
// Which outputs share a block does not change any output's sum, so results are the same bits.
constexpr int kLanes = 48;

// Vectors of 64 bytes (16 floats, 8 doubles) through GCC's vector extension: written with plain
// arrays, the compiler kept the accumulators in memory (loop interchange), 2.5x slower measured.
template <class T>
struct VecOf;
template <>
struct VecOf<float> {
  typedef float type __attribute__((vector_size(64)));
};
template <>
struct VecOf<double> {
  typedef double type __attribute__((vector_size(64)));
};
template <class T>
using Vec = typename VecOf<T>::type;
template <class T>
constexpr int kPerVec = 64 / sizeof(T);
template <class T>
inline Vec<T> load(const T* p) {
  Vec<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// v, made to live in a register: left to itself, GCC folds a load used by two multiply-adds into
// both, loading twice (and in the weight gradient mostly across cache lines); the duplicated loads
// halved that pass's speed, measured. Only where one register holds the 64-byte vector (AVX-512);
// elsewhere the compiler splits the vector and the constraint could not be met.
template <class T>
inline Vec<T> in_register(Vec<T> v) {
#if defined(__x86_64__) && defined(__AVX512F__)
  asm("" : "+v"(v));
#endif
  return v;
}

#if defined(__AVX512F__)
// GCC 12 takes the undefined pass-through register inside _mm512_unpack*_ps for an uninitialised read.
#pragma GCC diagnostic push
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
// r[l][k] = r[k][l] for a 16 x 16 block of floats, in four rounds of shuffles.
inline void transpose16(__m512 (&r)[16]) {
  auto lo = [](__m512 a, __m512 b) {
    return _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a), _mm512_castps_pd(b)));
  };
  auto hi = [](__m512 a, __m512 b) {
    return _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(a), _mm512_castps_pd(b)));
  };
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {
    r[4 * i] = lo(t[4 * i], t[4 * i + 2]);
    r[4 * i + 1] = hi(t[4 * i], t[4 * i + 2]);
    r[4 * i + 2] = lo(t[4 * i + 1], t[4 * i + 3]);
    r[4 * i + 3] = hi(t[4 * i + 1], t[4 * i + 3]);
  }
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < 4; ++i) {
      t[8 * h + i] = _mm512_shuffle_f32x4(r[8 * h + i], r[8 * h + 4 + i], 0x88);
      t[8 * h + 4 + i] = _mm512_shuffle_f32x4(r[8 * h + i], r[8 * h + 4 + i], 0xdd);
    }
  for (int i = 0; i < 8; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
    r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xdd);
  }
}
#pragma GCC diagnostic pop
#endif

// sums[k] = 0 + v[k][0] + v[k][1] + ... for the n vectors v[k]: each one's lanes added one at a time
// from the first, the order that fixes the weight gradient's rounding. Lane by lane these are chains
// of dependent scalar adds; with AVX-512, 16 vectors are transposed so that one vector add takes
// lane l of all 16 at once, in the same order: the same bits, and the direct weight gradients
// 1.03-1.09x faster (bench/ab_cpu.py kernels --only "weight gradient").
template <class T>
inline void lane_sums(const Vec<T>* v, int n, T* sums) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    for (int k0 = 0; k0 < n; k0 += 16) {
      const int count = std::min(16, n - k0);
      __m512 r[16];
      for (int k = 0; k < 16; ++k) r[k] = k < count ? (__m512)v[k0 + k] : _mm512_setzero_ps();
      transpose16(r);
      __m512 sum = _mm512_setzero_ps();
      for (int l = 0; l < 16; ++l) sum = _mm512_add_ps(sum, r[l]);
      _mm512_mask_storeu_ps(sums + k0, static_cast<__mmask16>((1u << count) - 1), sum);
    }
    return;
  }
#endif
  for (int k = 0; k < n; ++k) {
    T lanes[kPerVec<T>];
    std::memcpy(lanes, &v[k], sizeof lanes);
    T sum = 0;
    for (int l = 0; l < kPerVec<T>; ++l) sum += lanes[l];
    sums[k] = sum;
  }
}

// The nine taps of a stride-1 convolution on a grid of the given pitch: tap (i, j) reads row i and
// column j further on.
struct GridTaps {
  static constexpr int count = 9;
  int pitch;
  int offset(int t) const { return (t / 3) * pitch + t % 3; }
  static constexpr int weight(int t) { return t; }
};

// Geometry of an H x W image's zero-padded planes: pitch W + 2, H + 2 rows, and slack behind the
// last plane so that a block starting at any output position may read its full width. Output
// position (oy, ox) of a stride-1 convolution is grid position oy * pitch + ox.
struct Grid {
  int pitch, rows;
  size_t plane;   // floats per padded channel plane
  size_t cells;   // output grid positions: H * pitch
  size_t blocks;  // blocks of kLanes covering the cells
  explicit Grid(int h, int w)
      : pitch(w + 2), rows(h + 2), plane(static_cast<size_t>(h + 2) * (w + 2)),
        cells(static_cast<size_t>(h) * (w + 2)), blocks((cells + kLanes - 1) / kLanes) {}
  // A block reads up to kLanes - 1 positions past the last cell, shifted by up to 2 rows and 2
  // columns; the weight gradient's grid is rounded up to whole blocks as well.
  size_t slack() const { return 2 * static_cast<size_t>(pitch) + 2 + 2 * kLanes; }
  size_t padded_floats(int channels) const { return channels * plane + slack(); }
  // The weight gradient's grid length per plane: the cells rounded up to whole vectors.
  size_t dw_len() const { return (cells + 15) / 16 * 16; }
  // Floats between the output gradient's padded planes: a whole number of vectors, so that when
  // the first plane's interior (pitch + 1 on) starts on a vector boundary, every plane's does.
  size_t gradient_plane() const { return (plane + 15) / 16 * 16; }
  // Floats for `images` images' output-gradient planes of `filters` filters, with room to align.
  size_t gradient_floats(int images, int filters) const {
    return static_cast<size_t>(images) * filters * gradient_plane() + slack() + 16;
  }
  GridTaps taps() const { return GridTaps{pitch}; }
};

// dst[0, n) = src[0, n) in pieces of constant size, which the compiler turns into vector moves: rows
// are short (8 to 32 values), and a memcpy call per row cost more than the copy.
template <class T>
inline void copy_row(T* dst, const T* src, int n) {
  constexpr int piece = 64 / sizeof(T);
  int k = 0;
  for (; k + piece <= n; k += piece) std::memcpy(dst + k, src + k, 64);
  if (k + piece / 2 <= n) std::memcpy(dst + k, src + k, 32), k += piece / 2;
  for (; k < n; ++k) dst[k] = src[k];
}

// Copies channels x [C, H, W] into its zero-padded planes (borders and slack stay zero: written once).
// With `mask` (a fused ReLU's output), values where mask <= 0 are copied as 0.
// Planes are g.plane floats apart unless plane_stride says otherwise.
template <class T>
void pad_image(const T* x, const T* mask, int channels, int h, int w, const Grid& g, T* out, size_t plane_stride = 0) {
  const size_t stride = plane_stride ? plane_stride : g.plane;
  for (int c = 0; c < channels; ++c)
    for (int r = 0; r < h; ++r) {
      const size_t in = (static_cast<size_t>(c) * h + r) * w;
      T* dst = out + c * stride + static_cast<size_t>(r + 1) * g.pitch + 1;
      if (mask)
        for (int k = 0; k < w; ++k) dst[k] = mask[in + k] > T(0) ? x[in + k] : T(0);
      else
        copy_row(dst, x + in, w);
    }
}

// The start of a block's output-gradient planes in raw scratch (gradient_floats of it): placed so
// that the first plane's interior, and so every plane's (gradient_plane() apart), starts on a
// 64-byte boundary, where the weight gradient loads it a vector at a time.
template <class T>
T* gradient_planes(T* raw, const Grid& g) {
  const size_t lead = static_cast<size_t>(g.pitch) + 1;
  const size_t misalign = (reinterpret_cast<uintptr_t>(raw + lead) % 64) / sizeof(T);
  return raw + (misalign ? 64 / sizeof(T) - misalign : 0);
}

// sums[f] += the sum of row f of the `rows` rows of `len` values, `stride` apart, each row added
// entry by entry from the first: the order that fixes a bias gradient's rounding. One row's sum is a
// chain of dependent adds, bound by the add latency; eight rows' chains run interleaved so that their
// latencies overlap. (Used by the lowered GEMM form too.)
template <class T>
void add_row_sums(const T* rows_begin, int rows, size_t len, size_t stride, T* sums) {
  constexpr int kChains = 8;
  int f = 0;
  for (; f + kChains <= rows; f += kChains) {
    const T* r = rows_begin + f * stride;
    T acc[kChains] = {};
    for (size_t i = 0; i < len; ++i)
      for (int k = 0; k < kChains; ++k) acc[k] += r[k * stride + i];
    for (int k = 0; k < kChains; ++k) sums[f + k] += acc[k];
  }
  for (; f < rows; ++f) {
    const T* r = rows_begin + f * stride;
    T acc = 0;
    for (size_t i = 0; i < len; ++i) acc += r[i];
    sums[f] += acc;
  }
}

// One image's output gradient, prepared for the backward pass (g: the output's grid): masked by the
// fused ReLU's output, into padded planes gradient_plane() apart (dypad). Their interiors, from
// pitch + 1 on, are dy on the output grid (unused columns, and the rest of a plane, zero): the
// weight gradient's operand, dw_len() floats of it a filter. Its sums are added to db when the
// bias gradient is wanted.
template <class T>
void output_gradient(const T* dy, const T* mask, int filters, int oh, int ow, const Grid& g, T* dypad, T* db) {
  pad_image<T>(dy, mask, filters, oh, ow, g, dypad, g.gradient_plane());
  if (db) add_row_sums(dypad + g.pitch + 1, filters, g.cells, g.gradient_plane(), db);  // unused columns are zero
}

// Images per block of a backward pass whose images take per_image floats of scratch and whose
// weight gradient runs over `vectors` vectors of grid per image and filter. The weight gradient
// reduces its vector partial sums to scalars once per block: blocks hold at least 64 vectors of
// grid per filter, so that the reduction stays small beside the multiply-adds (8x8 images: 13 per
// block; 4 times as many measured no faster), and at most about 1 MiB of scratch, so that it stays
// in cache. Then as many fewer as make the blocks a multiple of the thread count where that takes
// no more than halving them, so that no thread waits for another's extra block (13 blocks of 10 on
// two threads became 16 of 8).
inline int block_images(const Conv2dShape& s, size_t per_image, size_t vectors, int threads) {
  const size_t wanted = (64 + vectors - 1) / vectors, fits = std::max<size_t>((256 * 1024) / per_image, 1);
  const int most = static_cast<int>(std::clamp<size_t>(std::min(wanted, fits), 1, s.n));
  for (int b = most; 2 * b >= most; --b)
    if (((s.n + b - 1) / b) % threads == 0) return b;
  return most;
}

// out[co0 + fb][oy][ox] (=|+=) bias + tile[fb][l] for the lanes l of a block from grid position p0
// that are outputs (oy < oh, ox < ow on a grid of the given pitch), through the fused ReLU.
template <int FB, class T>
inline void store_tile(const T (&tile)[FB][kLanes], size_t p0, int pitch, int oh, int ow, T* out, int co0,
                       const T* bias, bool relu, bool accumulate) {
  // The block's lanes fall into runs of consecutive outputs, one per grid row, split by the row's
  // unused columns; each run is stored as a vector loop. (Lane by lane, the stores cost a third of
  // the block's multiply-adds with 16 input channels.)
  int oy = static_cast<int>(p0 / pitch), ox = static_cast<int>(p0 % pitch);
  for (int l = 0; l < kLanes && oy < oh;) {
    if (ox >= ow) {  // unused columns: on to the next row
      l += pitch - ox, ox = 0, ++oy;
      continue;
    }
    const int run = std::min(kLanes - l, ow - ox);
    for (int fb = 0; fb < FB; ++fb) {
      T* o = out + (static_cast<size_t>(co0 + fb) * oh + oy) * ow + ox;
      const T* t = tile[fb] + l;
      const T b = bias ? bias[co0 + fb] : T(0);
      if (accumulate) {
#pragma omp simd
        for (int k = 0; k < run; ++k) o[k] += relu ? std::max(t[k] + b, T(0)) : t[k] + b;
      } else if (relu) {
#pragma omp simd
        for (int k = 0; k < run; ++k) o[k] = std::max(t[k] + b, T(0));
      } else {
#pragma omp simd
        for (int k = 0; k < run; ++k) o[k] = t[k] + b;
      }
    }
    l += run, ox += run;
  }
}

// dw (=|+=) the threads' private weight gradients and db (=|+=) their bias gradients, where wanted,
// each summed in thread order: the order is fixed for a thread count. private_of(t) gives thread
// t's pair of buffers.
template <class T, class PrivateOf>
void reduce_in_thread_order(int threads, PrivateOf&& private_of, size_t weights, T* dw, int filters, T* db,
                            bool accumulate) {
  std::vector<const T*> dws, dbs;
  for (int t = 0; t < threads; ++t) {
    const auto [w, b] = private_of(t);
    dws.push_back(w), dbs.push_back(b);
  }
  auto reduce = [&](const std::vector<const T*>& parts, size_t count, T* out) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < count; ++i) {
      T sum = 0;
      for (const T* p : parts) sum += p[i];
      out[i] = (accumulate ? out[i] : T(0)) + sum;
    }
  };
  if (dw) reduce(dws, weights, dw);
  if (db) reduce(dbs, static_cast<size_t>(filters), db);
}

// A thread's part of a direct form's backward scratch: the block's inputs as the form lays them out
// (padded planes or phases, with their slack), the output gradient's padded planes (aligned: see
// gradient_planes), the input gradient's 3x3 filters, and the private weight and bias gradients.
// Everything before `filters` must start zero.
template <class T>
struct BackwardScratch {
  T *in, *dypad, *filters, *dw, *db;
};

// Floats of a thread's backward scratch, for blocks of `images` images whose inputs take in_floats.
inline size_t backward_floats(const Conv2dShape& s, size_t in_floats, const Grid& g, int images) {
  return in_floats + g.gradient_floats(images, s.f) + 2 * static_cast<size_t>(s.f) * s.c * 9 + s.f;
}

template <class T>
BackwardScratch<T> backward_scratch(const Conv2dShape& s, T* base, size_t in_floats, const Grid& g, int images) {
  const size_t weights = static_cast<size_t>(s.f) * s.c * 9;
  BackwardScratch<T> sc;
  sc.in = base;
  sc.dypad = gradient_planes(base + in_floats, g);
  sc.filters = base + in_floats + g.gradient_floats(images, s.f);
  sc.dw = sc.filters + weights;
  sc.db = sc.dw + weights;
  return sc;
}

// The skeleton of a direct form's backward pass over blocks of per_block images, each thread taking
// a static share of the blocks: per thread, its scratch (scratch_of(thread)) zeroed, then setup(sc)
// (the input gradient's filters); per image, image(sc, n, img) (its output gradient and, for the
// weight gradient, its input, into slot img of the block); per block, block(sc, first, count). The
// private gradients are then reduced in thread order into dw and db (either may be null).
template <class T, class ScratchOf, class Setup, class Image, class Block>
void backward_blocks(const Conv2dShape& s, int per_block, T* dw, T* db, bool accumulate, ScratchOf&& scratch_of,
                     Setup&& setup, Image&& image, Block&& block) {
  const int threads = omp_get_max_threads(), blocks = (s.n + per_block - 1) / per_block;
#pragma omp parallel num_threads(threads)
  {
    const BackwardScratch<T> sc = scratch_of(omp_get_thread_num());
    std::fill(sc.in, sc.filters, T(0));
    std::fill(sc.dw, sc.db + s.f, T(0));
    setup(sc);
#pragma omp for schedule(static)
    for (int bi = 0; bi < blocks; ++bi) {
      const int first = bi * per_block, count = std::min(per_block, s.n - first);
      for (int img = 0; img < count; ++img) image(sc, first + img, img);
      block(sc, first, count);
    }
  }
  reduce_in_thread_order(
      threads, [&](int t) { const BackwardScratch<T> sc = scratch_of(t); return std::make_pair(sc.dw, sc.db); },
      static_cast<size_t>(s.f) * s.c * 9, dw, s.f, db, accumulate);
}

// tile[fb][l] = sum over ci < cin, then over the taps t in order, of
// w[(co0 + fb) * w_out + ci * 9 + weight[t]] * in[ci * in_channel + p0 + l + offset[t]]
// for FB output channels from co0 and the kLanes grid positions from p0.
template <int FB, class Taps, class T>
inline void tap_block(const T* in, size_t in_channel, int cin, const Taps& taps, const T* w, size_t w_out, int co0,
                      size_t p0, T (&tile)[FB][kLanes]) {
  constexpr int NV = kLanes / kPerVec<T>;
  Vec<T> acc[FB][NV];
  for (int fb = 0; fb < FB; ++fb)
    for (int v = 0; v < NV; ++v) acc[fb][v] = Vec<T>{};
  for (int ci = 0; ci < cin; ++ci) {
    const T* xc = in + ci * in_channel + p0;
    const T* wc = w + static_cast<size_t>(co0) * w_out + static_cast<size_t>(ci) * 9;
#pragma GCC unroll 9
    for (int t = 0; t < Taps::count; ++t) {
      Vec<T> xv[NV];
      for (int v = 0; v < NV; ++v) xv[v] = load(xc + taps.offset(t) + v * kPerVec<T>);
#pragma GCC unroll 8
      for (int fb = 0; fb < FB; ++fb) {
        const T wv = wc[static_cast<size_t>(fb) * w_out + taps.weight(t)];
        for (int v = 0; v < NV; ++v) acc[fb][v] += wv * xv[v];
      }
    }
  }
  std::memcpy(tile, acc, sizeof acc);
}

// dw[((f0 + k) * c_count + c) * 9 + weight(3i + j)] += sum over the images of a block and their grid
// positions p < grid_len of dyg[img * dy_image + (f0 + k) * dy_filter + p] *
// in[img * in_image + c * in_channel + p + offset(3i + j)], for the FB filters from f0 (k < FB) and
// every input channel c. One kernel row i at a time: FB filters by its three taps, 3 * FB vector
// partial sums, reduced once per block. (Two filters by all nine taps took 11 loads per 18
// multiply-adds, 8 of them across cache lines; eight filters by three taps take 11 per 24, 8 of them
// aligned: 1.08-1.24x faster on the ResNet's shapes, measured with bench_kernels_cpu.)
template <int FB, class Taps, class T>
void weight_grad_rows(const T* in, size_t in_image, size_t in_channel, const T* dyg, size_t dy_image,
                      size_t dy_filter, size_t grid_len, const Taps& taps, int c_count, int f0, int images, T* dw) {
  static_assert(Taps::count == 9, "the weight gradient takes the nine taps row by row");
  constexpr int V = kPerVec<T>;
  for (int c = 0; c < c_count; ++c)
    for (int i = 0; i < 3; ++i) {
      Vec<T> acc[FB][3];
      for (int f = 0; f < FB; ++f)
        for (int j = 0; j < 3; ++j) acc[f][j] = Vec<T>{};
      for (int img = 0; img < images; ++img) {
        const T* xc = in + img * in_image + c * in_channel;
        const T* d = dyg + img * dy_image + static_cast<size_t>(f0) * dy_filter;
        const int o0 = taps.offset(3 * i), o1 = taps.offset(3 * i + 1), o2 = taps.offset(3 * i + 2);
        for (size_t p = 0; p < grid_len; p += V) {
          const Vec<T> x0 = in_register<T>(load(xc + p + o0)), x1 = in_register<T>(load(xc + p + o1)),
                       x2 = in_register<T>(load(xc + p + o2));
#pragma GCC unroll 8
          for (int f = 0; f < FB; ++f) {
            const Vec<T> g = in_register<T>(load(d + f * dy_filter + p));
            acc[f][0] += g * x0;
            acc[f][1] += g * x1;
            acc[f][2] += g * x2;
          }
        }
      }
      T sums[FB * 3];
      lane_sums<T>(&acc[0][0], FB * 3, sums);
      for (int f = 0; f < FB; ++f)
        for (int j = 0; j < 3; ++j)
          dw[(static_cast<size_t>(f0 + f) * c_count + c) * 9 + taps.weight(3 * i + j)] += sums[f * 3 + j];
    }
}

// The weight gradient of a block of images for every filter (an even count), in blocks of the
// widest of 8, 4 and 2 filters that fits.
template <class Taps, class T>
void weight_grad(const T* in, size_t in_image, size_t in_channel, const T* dyg, size_t dy_image, size_t dy_filter,
                 size_t grid_len, const Taps& taps, int c_count, int f_count, int images, T* dw) {
  int f = 0;
  for (; f + 8 <= f_count; f += 8)
    weight_grad_rows<8>(in, in_image, in_channel, dyg, dy_image, dy_filter, grid_len, taps, c_count, f, images, dw);
  for (; f + 4 <= f_count; f += 4)
    weight_grad_rows<4>(in, in_image, in_channel, dyg, dy_image, dy_filter, grid_len, taps, c_count, f, images, dw);
  for (; f + 2 <= f_count; f += 2)
    weight_grad_rows<2>(in, in_image, in_channel, dyg, dy_image, dy_filter, grid_len, taps, c_count, f, images, dw);
}

// out[co0 + fb] (=|+=) bias + the taps of `in` (cin channels, in_channel floats apart), for FB
// output channels on the output grid g.
template <int FB, class Taps, class T>
void conv_channels(const T* in, size_t in_channel, int cin, const Taps& taps, const Grid& g, const T* w, int co0,
                   int oh, int ow, T* out, const T* bias, bool relu, bool accumulate) {
  for (size_t blk = 0; blk < g.blocks; ++blk) {
    T tile[FB][kLanes];
    tap_block<FB>(in, in_channel, cin, taps, w, static_cast<size_t>(cin) * 9, co0, blk * kLanes, tile);
    store_tile<FB>(tile, blk * kLanes, g.pitch, oh, ow, out, co0, bias, relu, accumulate);
  }
}

// A convolution of one image, every output channel, in blocks of the widest register block that
// divides the count: out [cout, oh, ow] (=|+=) bias + the taps of `in`.
template <class Taps, class T>
void conv_image(const T* in, size_t in_channel, int cin, const Taps& taps, const Grid& g, const T* w, int cout,
                int oh, int ow, T* out, const T* bias, bool relu, bool accumulate) {
  int co = 0;
  for (; co + 8 <= cout; co += 8) conv_channels<8>(in, in_channel, cin, taps, g, w, co, oh, ow, out, bias, relu, accumulate);
  for (; co + 4 <= cout; co += 4) conv_channels<4>(in, in_channel, cin, taps, g, w, co, oh, ow, out, bias, relu, accumulate);
  for (; co < cout; ++co) conv_channels<1>(in, in_channel, cin, taps, g, w, co, oh, ow, out, bias, relu, accumulate);
}

}  // namespace nullmark::cpu::conv_taps
