#include "kernels/conv2d_winograd_cpu.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "kernels/conv2d_taps_cpu.h"

namespace nullmark::cpu::conv_winograd {

namespace {
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

// U[xi][o][i] = (G g G^T)[xi] for the 3x3 filter g = filter(o, i) (nine values, row-major), with
// G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1].
template <class T, class Filter>
void transform_filters(const Plan& p, Filter&& filter, T* u) {
#pragma omp parallel for schedule(static)
  for (int o = 0; o < p.out; ++o)
    for (int i = 0; i < p.in; ++i) {
      T g[9];
      filter(o, i, g);
      T gg[4][3];  // G g
      for (int c = 0; c < 3; ++c) {
        gg[0][c] = g[c];
        gg[1][c] = (g[c] + g[3 + c] + g[6 + c]) / 2;
        gg[2][c] = (g[c] - g[3 + c] + g[6 + c]) / 2;
        gg[3][c] = g[6 + c];
      }
      for (int r = 0; r < 4; ++r) {
        const T a = gg[r][0], b = gg[r][1], c = gg[r][2];
        const T row[4] = {a, (a + b + c) / 2, (a - b + c) / 2, c};
        for (int k = 0; k < 4; ++k) u[(static_cast<size_t>(4 * r + k) * p.out + o) * p.in + i] = row[k];
      }
    }
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
      const size_t at = first * image + c * plane + pb;
      Vec<T> r[L];
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

// M[xi][o0 + a][t0 + k] = sum over i of U[xi][o0 + a][i] * V[xi][i][t0 + k], for FB output channels
// by kNV vectors of blocks, the input channels in order. Inlined by force: called, it kept its
// accumulators on the stack before and after the loop, and the 16-channel products ran 1.14x
// slower (measured).
template <int FB, class T>
__attribute__((always_inline)) inline void product_block(const Plan& p, const T* u, const Vec<T>* v, int o0, int t0, Vec<T>* m) {
  const int tiles = p.tiles();
  Vec<T> acc[FB][kNV];
  for (int a = 0; a < FB; ++a)
    for (int k = 0; k < kNV; ++k) acc[a][k] = Vec<T>{};
  for (int i = 0; i < p.in; ++i) {
    Vec<T> vi[kNV];
    for (int k = 0; k < kNV; ++k) vi[k] = conv_taps::in_register<T>(v[static_cast<size_t>(i) * tiles + t0 + k]);
#pragma GCC unroll 4
    for (int a = 0; a < FB; ++a) {
      const T ua = u[static_cast<size_t>(o0 + a) * p.in + i];
      for (int k = 0; k < kNV; ++k) acc[a][k] += ua * vi[k];
    }
  }
  for (int a = 0; a < FB; ++a)
    for (int k = 0; k < kNV; ++k) m[static_cast<size_t>(o0 + a) * tiles + t0 + k] = acc[a][k];
}

template <class T>
void products(const Plan& p, const T* u, const Vec<T>* v, Vec<T>* m) {
  const int tiles = p.tiles();
  for (int xi = 0; xi < 16; ++xi) {
    const T* ux = u + static_cast<size_t>(xi) * p.out * p.in;
    const Vec<T>* vx = v + xi * p.v_stride();
    Vec<T>* mx = m + xi * p.m_stride();
    for (int t0 = 0; t0 < tiles; t0 += kNV) {
      int o = 0;
      for (; o + kFB <= p.out; o += kFB) product_block<kFB, T>(p, ux, vx, o, t0, mx);
      for (; o < p.out; ++o) product_block<1, T>(p, ux, vx, o, t0, mx);
    }
  }
}

// O[o][r * W + 2t + j] = (A^T m A)[r][j] + bias[o] (through the ReLU), with A^T = [1 1 1 0; 0 1 -1 -1],
// for every output channel o and block t of the row.
template <class T>
void transform_outputs(const Plan& p, const Vec<T>* m, const T* bias, bool relu, Vec<T>* o) {
  const int tiles = p.tiles();
  const size_t next = p.m_stride();  // from position xi to xi + 1
  for (int f = 0; f < p.out; ++f)
    for (int t = 0; t < tiles; ++t) {
      const Vec<T>* mf = m + static_cast<size_t>(f) * tiles + t;
      Vec<T> s[2][4];  // A^T m
      for (int j = 0; j < 4; ++j) {
        const Vec<T> m0 = mf[j * next], m1 = mf[(4 + j) * next], m2 = mf[(8 + j) * next], m3 = mf[(12 + j) * next];
        s[0][j] = m0 + m1 + m2;
        s[1][j] = m1 - m2 - m3;
      }
      const T b = bias ? bias[f] : T(0);
      for (int r = 0; r < 2; ++r) {
        Vec<T> y0 = s[r][0] + s[r][1] + s[r][2] + b, y1 = s[r][1] - s[r][2] - s[r][3] + b;
        if (relu) {
          y0 = y0 > Vec<T>{} ? y0 : Vec<T>{};
          y1 = y1 > Vec<T>{} ? y1 : Vec<T>{};
        }
        Vec<T>* row = o + static_cast<size_t>(f) * 2 * p.w + r * p.w + 2 * t;
        row[0] = y0;
        row[1] = y1;
      }
    }
}

// Block row ty's outputs back to images: out[first + g][o][2 ty + r][col] (=|+=) O[o][r * W + col]
// lane g, for the count images of the group. The two rows are contiguous in an output plane.
template <class T>
void from_lanes(const Plan& p, const Vec<T>* o, int ty, int first, int count, T* out, bool accumulate) {
  constexpr int L = kLanes<T>;
  const size_t plane = static_cast<size_t>(p.h) * p.w, image = p.out * plane, row0 = static_cast<size_t>(2 * ty) * p.w;
  for (int f = 0; f < p.out; ++f)
    for (int pb = 0; pb < 2 * p.w; pb += L) {
      Vec<T> r[L];
#pragma GCC unroll 16
      for (int k = 0; k < L; ++k) r[k] = o[static_cast<size_t>(f) * 2 * p.w + pb + k];
      transpose<T>(r);
      T* at = out + first * image + f * plane + row0 + pb;
      if (count == L && !accumulate) {  // straight-line stores, so r stays in registers
#pragma GCC unroll 16
        for (int g = 0; g < L; ++g) store(at + g * image, r[g]);
      } else {
        for (int g = 0; g < count; ++g) store(at + g * image, accumulate ? load(at + g * image) + r[g] : r[g]);
      }
    }
}

// The convolution of `in` (masked by `mask` where given) with the transformed filters u, in
// groups of images split over the threads.
template <class T>
void convolve(const Plan& p, const T* in, const T* mask, const T* u, const T* bias, bool relu, T* out,
              bool accumulate, T* scratch) {
  constexpr int L = kLanes<T>;
  const int groups = (p.n + L - 1) / L;
  const size_t per_thread = p.per_thread_vectors() * kGroupMax;  // in T
#pragma omp parallel
  {
    Vec<T>* x = reinterpret_cast<Vec<T>*>(scratch + per_thread * omp_get_thread_num());
    Vec<T>* v = x + p.x_vectors();
    Vec<T>* m = v + p.v_vectors();
    Vec<T>* o = m + p.m_vectors();
    std::fill(x, x + p.x_vectors(), Vec<T>{});
#pragma omp for schedule(static)
    for (int grp = 0; grp < groups; ++grp) {
      const int first = grp * L, count = std::min(L, p.n - first);
      for (int k = -1; k <= 0; ++k) to_lanes<T>(p, in, mask, first, count, k, x);
      for (int ty = 0; ty < p.h / 2; ++ty) {
        to_lanes<T>(p, in, mask, first, count, ty + 1, x);  // block row ty reads pairs ty - 1 to ty + 1
        transform_inputs<T>(p, x, ty, v);
        products<T>(p, u, v, m);
        transform_outputs<T>(p, m, bias, relu, o);
        from_lanes<T>(p, o, ty, first, count, out, accumulate);
      }
    }
  }
}

// --- The weight gradient ---------------------------------------------------------------------------
// Differentiating y = A^T (U .* V) A: dL/dU = sum over blocks of (A dy A^T) .* V, and dL/dg = G^T dU G.
// Per thread, dU is accumulated in lanes (images) over its groups, block by block: for each transform
// position a matrix product [filters x blocks] times [blocks x channels].

// Per-thread vectors of the weight gradient: the input ring and V as in the forward pass, the output
// gradient's two rows (D), their transforms (P, laid out as M), the lane-wise dU, and its lane sums.
struct GradientPlan : Plan {
  size_t d_vectors() const { return static_cast<size_t>(out) * 2 * w; }
  size_t du_vectors() const { return 16 * static_cast<size_t>(out) * in; }
  size_t per_thread() const { return x_vectors() + v_vectors() + d_vectors() + m_vectors() + 2 * du_vectors(); }
};

// D[f][r * W + col] lane g = dy[first + g][f][2 ty + r][col] (masked where mask <= 0; lanes past
// count zero).
template <class T>
void gradient_to_lanes(const Plan& p, const T* dy, const T* mask, int ty, int first, int count, Vec<T>* d) {
  constexpr int L = kLanes<T>;
  const size_t plane = static_cast<size_t>(p.h) * p.w, image = p.out * plane, row0 = static_cast<size_t>(2 * ty) * p.w;
  for (int f = 0; f < p.out; ++f)
    for (int pb = 0; pb < 2 * p.w; pb += L) {
      const size_t at = first * image + f * plane + row0 + pb;
      Vec<T> r[L];
      if (count == L && !mask) {
#pragma GCC unroll 16
        for (int g = 0; g < L; ++g) r[g] = load(dy + at + g * image);
      } else {
        for (int g = 0; g < L; ++g) {
          r[g] = g < count ? load(dy + at + g * image) : Vec<T>{};
          if (mask && g < count) r[g] = load(mask + at + g * image) > Vec<T>{} ? r[g] : Vec<T>{};
        }
      }
      transpose<T>(r);
#pragma GCC unroll 16
      for (int j = 0; j < L; ++j) d[static_cast<size_t>(f) * 2 * p.w + pb + j] = r[j];
    }
}

// P[4i + j][f][t] = (A d A^T)[i][j] for the 2x2 output-gradient block d of block t, with
// A = [1 0; 1 1; 1 -1; 0 -1] (A^T of the forward pass, transposed).
template <class T>
void transform_gradients(const Plan& p, const Vec<T>* d, Vec<T>* pm) {
  const int tiles = p.tiles();
  const size_t next = p.m_stride();
  for (int f = 0; f < p.out; ++f)
    for (int t = 0; t < tiles; ++t) {
      const Vec<T>* row0 = d + static_cast<size_t>(f) * 2 * p.w + 2 * t;
      const Vec<T>* row1 = row0 + p.w;
      const Vec<T> ad[4][2] = {{row0[0], row0[1]},
                               {row0[0] + row1[0], row0[1] + row1[1]},
                               {row0[0] - row1[0], row0[1] - row1[1]},
                               {-row1[0], -row1[1]}};
      Vec<T>* out = pm + static_cast<size_t>(f) * tiles + t;
      for (int i = 0; i < 4; ++i) {
        out[(4 * i) * next] = ad[i][0];
        out[(4 * i + 1) * next] = ad[i][0] + ad[i][1];
        out[(4 * i + 2) * next] = ad[i][0] - ad[i][1];
        out[(4 * i + 3) * next] = -ad[i][1];
      }
    }
}

// dU[xi][f0 + a][c0 + b] += sum over the blocks t of P[xi][f0 + a][t] * V[xi][c0 + b][t], lane by lane,
// for FA filters by CB channels.
template <int FA, int CB, class T>
__attribute__((always_inline)) inline void gradient_block(const Plan& p, const Vec<T>* pm, const Vec<T>* v, int f0,
                                                          int c0, Vec<T>* du) {
  const int tiles = p.tiles();
  Vec<T> acc[FA][CB];
  for (int a = 0; a < FA; ++a)
    for (int b = 0; b < CB; ++b) acc[a][b] = du[static_cast<size_t>(f0 + a) * p.in + c0 + b];
  for (int t = 0; t < tiles; ++t) {
    Vec<T> vb[CB];
    for (int b = 0; b < CB; ++b) vb[b] = conv_taps::in_register<T>(v[static_cast<size_t>(c0 + b) * tiles + t]);
#pragma GCC unroll 4
    for (int a = 0; a < FA; ++a) {
      const Vec<T> pa = conv_taps::in_register<T>(pm[static_cast<size_t>(f0 + a) * tiles + t]);
      for (int b = 0; b < CB; ++b) acc[a][b] += pa * vb[b];
    }
  }
  for (int a = 0; a < FA; ++a)
    for (int b = 0; b < CB; ++b) du[static_cast<size_t>(f0 + a) * p.in + c0 + b] = acc[a][b];
}

template <class T>
void gradient_products(const Plan& p, const Vec<T>* pm, const Vec<T>* v, Vec<T>* du) {
  for (int xi = 0; xi < 16; ++xi) {
    const Vec<T>* px = pm + xi * p.m_stride();
    const Vec<T>* vx = v + xi * p.v_stride();
    Vec<T>* dx = du + static_cast<size_t>(xi) * p.out * p.in;
    int f = 0;
    for (; f + kFB <= p.out; f += kFB) {
      int c = 0;
      for (; c + kNV <= p.in; c += kNV) gradient_block<kFB, kNV, T>(p, px, vx, f, c, dx);
      for (; c < p.in; ++c) gradient_block<kFB, 1, T>(p, px, vx, f, c, dx);
    }
    for (; f < p.out; ++f)
      for (int c = 0; c < p.in; ++c) gradient_block<1, 1, T>(p, px, vx, f, c, dx);
  }
}

// The scratch is handed out as vectors; 64-byte alignment keeps every vector within a cache line.
template <class T>
T* aligned(T* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p), r = a % 64;
  return r ? reinterpret_cast<T*>(a + 64 - r) : p;
}

Plan forward_plan(const Conv2dShape& s) { return Plan{s.n, s.c, s.f, s.h, s.w}; }
Plan gradient_plan(const Conv2dShape& s) { return Plan{s.n, s.f, s.c, s.h, s.w}; }
}  // namespace

bool weight_gradient_applies(const Conv2dShape& s) {
  return applies(s) && static_cast<long>(s.f) * s.c <= 4096;
}

bool applies(const Conv2dShape& s) {
  return s.kh == 3 && s.kw == 3 && s.stride == 1 && s.pad == 1 && s.h % 2 == 0 && s.w % 8 == 0 && s.c >= 16 && s.f >= 16;
}

size_t workspace(const Conv2dShape& s, int threads) {
  const Plan a = forward_plan(s), b = gradient_plan(s);
  const size_t filters = std::max(a.filter_floats(), b.filter_floats());
  size_t per_thread = std::max(a.per_thread_vectors(), b.per_thread_vectors());
  if (weight_gradient_applies(s)) per_thread = std::max(per_thread, GradientPlan{a}.per_thread());
  // 64 bytes to align the per-thread part, in doubles at most.
  return filters + per_thread * kGroupMax * threads + 64 / sizeof(float);
}

template <class T>
void weight_gradient(const Conv2dShape& s, const T* x, const T* y, const T* dy, T* dw, GradMode mode, T* work) {
  constexpr int L = kLanes<T>;
  const GradientPlan p{forward_plan(s)};
  const int groups = (p.n + L - 1) / L, threads = omp_get_max_threads();
  const size_t per_thread = p.per_thread() * kGroupMax;  // in T
  T* scratch = aligned(work);
  auto sums_of = [&](int thread) {  // a thread's lane sums of dU, [xi][f][c]
    return reinterpret_cast<T*>(reinterpret_cast<Vec<T>*>(scratch + per_thread * thread) + p.per_thread() -
                                p.du_vectors());
  };
#pragma omp parallel num_threads(threads)
  {
    Vec<T>* xr = reinterpret_cast<Vec<T>*>(scratch + per_thread * omp_get_thread_num());
    Vec<T>* v = xr + p.x_vectors();
    Vec<T>* d = v + p.v_vectors();
    Vec<T>* pm = d + p.d_vectors();
    Vec<T>* du = pm + p.m_vectors();
    std::fill(xr, xr + p.x_vectors(), Vec<T>{});
    std::fill(du, du + p.du_vectors(), Vec<T>{});
#pragma omp for schedule(static)
    for (int grp = 0; grp < groups; ++grp) {
      const int first = grp * L, count = std::min(L, p.n - first);
      for (int k = -1; k <= 0; ++k) to_lanes<T>(p, x, nullptr, first, count, k, xr);
      for (int ty = 0; ty < p.h / 2; ++ty) {
        to_lanes<T>(p, x, nullptr, first, count, ty + 1, xr);
        transform_inputs<T>(p, xr, ty, v);
        gradient_to_lanes<T>(p, dy, s.relu ? y : nullptr, ty, first, count, d);
        transform_gradients<T>(p, d, pm);
        gradient_products<T>(p, pm, v, du);
      }
    }
    // Lane sums, lane 0 first: the order is fixed, so the result depends on the thread count only.
    T* sums = sums_of(omp_get_thread_num());
    for (size_t i = 0; i < p.du_vectors(); ++i) {
      T lanes[L];
      std::memcpy(lanes, &du[i], sizeof lanes);
      T sum = 0;
      for (int l = 0; l < L; ++l) sum += lanes[l];
      sums[i] = sum;
    }
  }
  // dw[f][c] (=|+=) G^T dU G of the threads' dU added in thread order, G = [1 0 0; 1/2 1/2 1/2;
  // 1/2 -1/2 1/2; 0 0 1].
#pragma omp parallel for schedule(static)
  for (int fc = 0; fc < s.f * s.c; ++fc) {
    T u[16];
    for (int xi = 0; xi < 16; ++xi) {
      T total = 0;
      for (int t = 0; t < threads; ++t) total += sums_of(t)[static_cast<size_t>(xi) * s.f * s.c + fc];
      u[xi] = total;
    }
    T gu[3][4];  // G^T dU
    for (int j = 0; j < 4; ++j) {
      gu[0][j] = u[j] + (u[4 + j] + u[8 + j]) / 2;
      gu[1][j] = (u[4 + j] - u[8 + j]) / 2;
      gu[2][j] = (u[4 + j] + u[8 + j]) / 2 + u[12 + j];
    }
    T* out = dw + static_cast<size_t>(fc) * 9;
    for (int i = 0; i < 3; ++i) {
      const T g[3] = {gu[i][0] + (gu[i][1] + gu[i][2]) / 2, (gu[i][1] - gu[i][2]) / 2,
                      (gu[i][1] + gu[i][2]) / 2 + gu[i][3]};
      for (int j = 0; j < 3; ++j) out[3 * i + j] = (mode == GradMode::Accumulate ? out[3 * i + j] : T(0)) + g[j];
    }
  }
}

template <class T>
void forward(const Conv2dShape& s, const T* x, const T* w, const T* b, T* y, T* work) {
  const Plan p = forward_plan(s);
  transform_filters<T>(p, [&](int f, int c, T* g) { std::memcpy(g, w + (static_cast<size_t>(f) * s.c + c) * 9, 9 * sizeof(T)); },
                       work);
  convolve<T>(p, x, nullptr, work, b, s.relu, y, false, aligned(work + p.filter_floats()));
}

template <class T>
void input_gradient(const Conv2dShape& s, const T* w, const T* y, const T* dy, T* dx, GradMode mode, T* work) {
  const Plan p = gradient_plan(s);
  // The input gradient's filter (c, f) is filter (f, c) turned by 180 degrees.
  transform_filters<T>(p, [&](int c, int f, T* g) {
    const T* src = w + (static_cast<size_t>(f) * s.c + c) * 9;
    for (int k = 0; k < 9; ++k) g[k] = src[8 - k];
  }, work);
  convolve<T>(p, dy, s.relu ? y : nullptr, work, nullptr, false, dx, mode == GradMode::Accumulate,
              aligned(work + p.filter_floats()));
}

template void forward<float>(const Conv2dShape&, const float*, const float*, const float*, float*, float*);
template void forward<double>(const Conv2dShape&, const double*, const double*, const double*, double*, double*);
template void input_gradient<float>(const Conv2dShape&, const float*, const float*, const float*, float*, GradMode,
                                    float*);
template void input_gradient<double>(const Conv2dShape&, const double*, const double*, const double*, double*, GradMode,
                                     double*);
template void weight_gradient<float>(const Conv2dShape&, const float*, const float*, const float*, float*, GradMode,
                                     float*);
template void weight_gradient<double>(const Conv2dShape&, const double*, const double*, const double*, double*,
                                      GradMode, double*);

}  // namespace nullmark::cpu::conv_winograd
