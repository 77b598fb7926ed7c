#include <omp.h>

#include <algorithm>
#include <cstring>

#include "kernels/conv2d_winograd_cpu.h"
#include "kernels/conv2d_winograd_lanes_cpu.h"

namespace nullmark::cpu::conv_winograd {

namespace {
using namespace lanes;

// Differentiating y = A^T (U .* V) A: dL/dU = sum over blocks of (A dy A^T) .* V, and dL/dg = G^T dU G.
// Per thread, dU is accumulated in lanes (images) over its groups, block by block: for each transform
// position a matrix product [filters x blocks] times [blocks x channels].

// D[f][r * W + col] lane g = dy[first + g][f][2 ty + r][col] (masked where mask <= 0; lanes past
// count zero).
template <class T>
void gradient_to_lanes(const Plan& p, const T* dy, const T* mask, int ty, int first, int count, Vec<T>* d) {
  constexpr int L = kLanes<T>;
  const size_t plane = static_cast<size_t>(p.h) * p.w, image = p.out * plane, row0 = static_cast<size_t>(2 * ty) * p.w;
  for (int f = 0; f < p.out; ++f)
    for (int pb = 0; pb < 2 * p.w; pb += L) {
      Vec<T> r[L];
      gather_lanes<T>(dy, mask, first * image + f * plane + row0 + pb, image, count, r);
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

}  // namespace

bool weight_gradient_applies(const Conv2dShape& s) {
  return applies(s) && static_cast<long>(s.f) * s.c <= 4096;
}

template <class T>
void weight_gradient(const Conv2dShape& s, const T* x, const T* y, const T* dy, T* dw, GradMode mode, T* work) {
  constexpr int L = kLanes<T>;
  const GradientPlan p{forward_plan(s)};
  const int groups = (p.n + L - 1) / L, threads = omp_get_max_threads();
  const size_t per_thread = p.per_thread() * kGroupMax;  // in T
  T* scratch = aligned(work);
  auto sums_of = [&](int thread) {  // a thread's lane sums of dU, [xi][f][c]
    return reinterpret_cast<T*>(reinterpret_cast<Vec<T>*>(scratch + per_thread * thread) + p.sums_at());
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

template void weight_gradient<float>(const Conv2dShape&, const float*, const float*, const float*, float*, GradMode,
                                     float*);
template void weight_gradient<double>(const Conv2dShape&, const double*, const double*, const double*, double*,
                                      GradMode, double*);

}  // namespace nullmark::cpu::conv_winograd
