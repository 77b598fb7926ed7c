#include "kernels/conv2d_winograd_cpu.h"

#include <omp.h>

#include <algorithm>
#include <cstring>

#include "kernels/conv2d_winograd_lanes_cpu.h"

namespace nullmark::cpu::conv_winograd {

namespace {
using namespace lanes;

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

Plan gradient_plan(const Conv2dShape& s) { return Plan{s.n, s.f, s.c, s.h, s.w}; }
}  // namespace

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
}  // namespace nullmark::cpu::conv_winograd
