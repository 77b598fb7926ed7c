// The pieces the passes of the CPU's Winograd form (kernels/conv2d_winograd_cpu.h) share: the plan
// of a pass's scratch, images transposed into vector lanes, the ring of input rows and the input
// transform. Internal to conv2d_winograd_cpu.cpp and conv2d_winograd_weights_cpu.cpp.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/conv2d.h"
#include "kernels/conv2d_taps_cpu.h"

namespace nullmark::cpu::conv_winograd::lanes {

using conv_taps::kPerVec;
using conv_taps::load;
using conv_taps::Vec;

template <class T>
constexpr int kLanes = kPerVec<T>;  // images per group
constexpr int kGroupMax = 16;       // the most lanes (float): sizes the scratch for either type
constexpr int kFB = 4, kNV = 4;     // register block of the products: output channels x vectors of blocks
constexpr int kRingRows = 6;        // three pairs of input rows

template <class T>
inline void store(T* p, Vec<T> v) {
  std::memcpy(p, &v, sizeof v);
}

// The layout of one pass: `in` channels of H x W images in, `out` channels out.
struct Plan {
  int n, in, out, h, w;
  int tiles() const { return w / 2; }  // 2x2 blocks per block row
  int cols() const { return w + 2; }
  // Per-thread vectors: the group's padded input rows in a ring of three row pairs (X), the
  // transformed block row (V), its products (M) and the two output rows (O). The ring keeps the
  // input a block row reads in L1 and L2: the whole padded group took more than L2 (1.2 MiB at 16
  // channels of 32x32) and was read back from L3.
  size_t x_vectors() const { return static_cast<size_t>(in) * kRingRows * cols(); }
  // Vectors from one transform position's part of V (or M) to the next: one more than the part, so
  // that the 16 parts do not start at the same offset within a page, where loads and stores that
  // alternate between them would alias (measured 1.2x slower at 16 channels).
  size_t v_stride() const { return static_cast<size_t>(in) * tiles() + 1; }
  size_t m_stride() const { return static_cast<size_t>(out) * tiles() + 1; }
  size_t v_vectors() const { return 16 * v_stride(); }
  size_t m_vectors() const { return 16 * m_stride(); }
  size_t o_vectors() const { return static_cast<size_t>(out) * 2 * w; }
  size_t per_thread_vectors() const { return x_vectors() + v_vectors() + m_vectors() + o_vectors(); }
  size_t filter_floats() const { return 16 * static_cast<size_t>(out) * in; }
};

// r[k] lane g becomes r[g] lane k for a kLanes x kLanes block.
template <class T>
inline void transpose(Vec<T> (&r)[kLanes<T>]) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    conv_taps::transpose16(reinterpret_cast<__m512(&)[16]>(r));
    return;
  }
#endif
  T m[kLanes<T>][kLanes<T>];
  std::memcpy(m, r, sizeof m);
  for (int a = 0; a < kLanes<T>; ++a)
    for (int b = a + 1; b < kLanes<T>; ++b) std::swap(m[a][b], m[b][a]);
  std::memcpy(r, m, sizeof m);
}

// Per-thread vectors of the weight gradient: the input ring and V as in the forward pass, the output
// gradient's two rows (D), their transforms (P, laid out as M), the lane-wise dU, and its lane sums.
struct GradientPlan : Plan {
  size_t d_vectors() const { return static_cast<size_t>(out) * 2 * w; }
  size_t du_vectors() const { return 16 * static_cast<size_t>(out) * in; }
  // The lane sums are one scalar per dU vector: room for them in doubles (8 a vector).
  size_t sums_at() const { return x_vectors() + v_vectors() + d_vectors() + m_vectors() + du_vectors(); }
  size_t per_thread() const { return sums_at() + du_vectors() / 8 + 1; }
};

// r[j] lane g = in[at + g * image + j] (masked where mask <= 0) for the first count images g, zero
// for the rest: L values of each of L images, transposed so that lanes are images.
template <class T>
__attribute__((always_inline)) inline void gather_lanes(const T* in, const T* mask, size_t at, size_t image, int count,
                                                        Vec<T> (&r)[kLanes<T>]) {
  constexpr int L = kLanes<T>;
  if (count == L && !mask) {  // the common case as straight-line loads, so r stays in registers
#pragma GCC unroll 16
    for (int g = 0; g < L; ++g) r[g] = load(in + at + g * image);
  } else {
    for (int g = 0; g < L; ++g) {
      r[g] = g < count ? load(in + at + g * image) : Vec<T>{};
      if (mask && g < count) r[g] = load(mask + at + g * image) > Vec<T>{} ? r[g] : Vec<T>{};
    }
  }
  transpose<T>(r);
}

// Padded input row r (0 and H + 1 are the zero borders) of channel c in the ring: input rows come
// in pairs (2k, 2k + 1), padded rows 2k + 1 and 2k + 2, and pair k has slot k mod 3 (pair -1 holds
// the top border).
template <class T>
inline Vec<T>* ring_row(const Plan& p, Vec<T>* x, int c, int r) {
  const int k = r == 0 ? -1 : (r - 1) / 2, half = r == 0 ? 1 : (r - 1) % 2;
  return x + (static_cast<size_t>(c) * kRingRows + ((k + 3) % 3) * 2 + half) * p.cols();
}

// Input row pair k of the group's images from `first` (count of them) into the ring, in lanes:
// row 2k + i, column col of in[first + g][c] is lane g of ring_row(c, 2k + 1 + i)[col + 1], masked
// where mask <= 0; lanes past count are zero. Pairs outside the image are zero rows; the border
// columns are never written, so they stay zero.
template <class T>
void to_lanes(const Plan& p, const T* in, const T* mask, int first, int count, int k, Vec<T>* x) {
  if (k < 0 || 2 * k >= p.h) {
    for (int c = 0; c < p.in; ++c)
      for (int i = 0; i < 2; ++i) {
        Vec<T>* row = ring_row<T>(p, x, c, 2 * k + 1 + i);
        std::fill(row + 1, row + 1 + p.w, Vec<T>{});
      }
    return;
  }
  const size_t plane = static_cast<size_t>(p.h) * p.w, image = p.in * plane;
  constexpr int L = kLanes<T>;
  for (int c = 0; c < p.in; ++c)
    for (size_t pb = static_cast<size_t>(2 * k) * p.w; pb < static_cast<size_t>(2 * k + 2) * p.w; pb += L) {
      Vec<T> r[L];
      gather_lanes<T>(in, mask, first * image + c * plane + pb, image, count, r);
      // The L pixels from pb lie in one row or (8 wide) two; the row and column are stepped, not
      // divided out per pixel (two integer divisions a vector cost as much as the transposition).
      const int row = static_cast<int>(pb / p.w), col = static_cast<int>(pb % p.w);
      Vec<T>* dst = ring_row<T>(p, x, c, row + 1) + 1 + col;
      if (col + L <= p.w) {
#pragma GCC unroll 16
        for (int j = 0; j < L; ++j) dst[j] = r[j];
      } else {
        const int first_row = p.w - col;
        for (int j = 0; j < first_row; ++j) dst[j] = r[j];
        Vec<T>* next = ring_row<T>(p, x, c, row + 2) + 1;
        for (int j = first_row; j < L; ++j) next[j - first_row] = r[j];
      }
    }
}

// V[4i + j][c][t] = (B^T d B)[i][j] for the patch d of block t of block row ty, with
// B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
template <class T>
void transform_inputs(const Plan& p, Vec<T>* x, int ty, Vec<T>* v) {
  const int tiles = p.tiles();
  for (int c = 0; c < p.in; ++c) {
    const Vec<T>*d0 = ring_row<T>(p, x, c, 2 * ty), *d1 = ring_row<T>(p, x, c, 2 * ty + 1),
    *d2 = ring_row<T>(p, x, c, 2 * ty + 2), *d3 = ring_row<T>(p, x, c, 2 * ty + 3);
    for (int t = 0; t < tiles; ++t) {
      Vec<T> b[4][4];  // B^T d
      for (int j = 0; j < 4; ++j) {
        const Vec<T> r0 = d0[2 * t + j], r1 = d1[2 * t + j], r2 = d2[2 * t + j], r3 = d3[2 * t + j];
        b[0][j] = r0 - r2;
        b[1][j] = r1 + r2;
        b[2][j] = r2 - r1;
        b[3][j] = r1 - r3;
      }
      for (int i = 0; i < 4; ++i) {
        Vec<T>* out = v + 4 * i * p.v_stride() + static_cast<size_t>(c) * tiles + t;
        const size_t next = p.v_stride();  // from position 4i + j to 4i + j + 1
        out[0] = b[i][0] - b[i][2];
        out[next] = b[i][1] + b[i][2];
        out[2 * next] = b[i][2] - b[i][1];
        out[3 * next] = b[i][1] - b[i][3];
      }
    }
  }
}

// The scratch is handed out as vectors; 64-byte alignment keeps every vector within a cache line.
template <class T>
inline T* aligned(T* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p), r = a % 64;
  return r ? reinterpret_cast<T*>(a + 64 - r) : p;
}

inline Plan forward_plan(const Conv2dShape& s) { return Plan{s.n, s.c, s.f, s.h, s.w}; }

}  // namespace nullmark::cpu::conv_winograd::lanes
