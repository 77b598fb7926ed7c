#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "kernels/maxpool2d.h"

namespace nullmark::cpu {

namespace {

// 2x2 windows with stride 2, the common case, written so the compiler vectorises it.
template <class T>
void pool_2x2(const MaxPool2dShape& s, const T* xp, T* yp, int32_t* ap) {
  // Shape values in locals: through the reference, every int32 store into `ar` could alias them,
  // which blocks vectorisation.
  const int oh = s.oh(), ow = s.ow(), w = s.w;
  for (int oy = 0; oy < oh; ++oy) {
    const T* __restrict r0 = xp + (2 * oy) * w;
    const T* __restrict r1 = r0 + w;
    T* __restrict yr = yp + oy * ow;
    int32_t* __restrict ar = ap + oy * ow;
    for (int ox = 0; ox < ow; ++ox)
      yr[ox] = std::max(std::max(r0[2 * ox], r0[2 * ox + 1]), std::max(r1[2 * ox], r1[2 * ox + 1]));
    // The first window element equal to the maximum, in scan order (0,0), (0,1), (1,0), (1,1): the
    // same winner as the generic path. Chained selects from the last candidate to the first
    // vectorise as blends; nested conditionals compile to unpredictable branches (4x slower).
    const int32_t base = 2 * oy * w;
    for (int ox = 0; ox < ow; ++ox) {
      const T m = yr[ox];
      int32_t off = w + 1;
      off = r1[2 * ox] == m ? w : off;
      off = r0[2 * ox + 1] == m ? 1 : off;
      off = r0[2 * ox] == m ? 0 : off;
      ar[ox] = base + 2 * ox + off;
    }
  }
}

#if defined(__AVX512F__)
// GCC 12 takes the undefined pass-through register inside _mm512_permutexvar_* for an uninitialised read.
#pragma GCC diagnostic push
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
// The float 2x2 path in AVX-512, 16 outputs per step (the compiler's version of pool_2x2 splits even
// and odd columns lane by lane). Bit for bit the same results: std::max(a, b) is `a < b ? b : a`,
// which is _mm512_max_ps(b, a) (MAXPS returns its second operand on equal values, signed zeros
// included, and on NaN), and the same first-maximum winner.
inline __m512i iota16() { return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }

// Lanes [0, n) of a 16-lane register (none for n <= 0).
inline __mmask16 first_lanes(int n) {
  return static_cast<__mmask16>(n >= 16 ? 0xffffu : n <= 0 ? 0u : (1u << n) - 1);
}

void pool_row_2x2(const float* r0, const float* r1, int ow, int w, int32_t base, float* yr, int32_t* ar) {
  const __m512i even = _mm512_slli_epi32(iota16(), 1), odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  for (int ox = 0; ox < ow; ox += 16) {
    // n outputs read 2n inputs of each row, over two registers.
    const int n = std::min(16, ow - ox);
    const __mmask16 out = first_lanes(n), lo = first_lanes(2 * n), hi = first_lanes(2 * n - 16);
    const __m512 l0 = _mm512_maskz_loadu_ps(lo, r0 + 2 * ox), h0 = _mm512_maskz_loadu_ps(hi, r0 + 2 * ox + 16);
    const __m512 l1 = _mm512_maskz_loadu_ps(lo, r1 + 2 * ox), h1 = _mm512_maskz_loadu_ps(hi, r1 + 2 * ox + 16);
    const __m512 a = _mm512_permutex2var_ps(l0, even, h0), b = _mm512_permutex2var_ps(l0, odd, h0);
    const __m512 c = _mm512_permutex2var_ps(l1, even, h1), d = _mm512_permutex2var_ps(l1, odd, h1);
    const __m512 m = _mm512_max_ps(_mm512_max_ps(d, c), _mm512_max_ps(b, a));
    _mm512_mask_storeu_ps(yr + ox, out, m);
    __m512i off = _mm512_set1_epi32(w + 1);
    off = _mm512_mask_mov_epi32(off, _mm512_cmp_ps_mask(c, m, _CMP_EQ_OQ), _mm512_set1_epi32(w));
    off = _mm512_mask_mov_epi32(off, _mm512_cmp_ps_mask(b, m, _CMP_EQ_OQ), _mm512_set1_epi32(1));
    off = _mm512_mask_mov_epi32(off, _mm512_cmp_ps_mask(a, m, _CMP_EQ_OQ), _mm512_setzero_si512());
    const __m512i col = _mm512_slli_epi32(_mm512_add_epi32(_mm512_set1_epi32(ox), iota16()), 1);
    _mm512_mask_storeu_epi32(ar + ox, out, _mm512_add_epi32(_mm512_add_epi32(_mm512_set1_epi32(base), col), off));
  }
}

// The two input rows 2*oy and 2*oy+1 of one output row's gradient: each input takes its window's
// gradient where it is the window's winner. Overwrite writes 0 + g (as adding into a zeroed plane
// would: a -0 gradient lands as +0) or 0; Accumulate adds g to the winners only.
void unpool_row_2x2(const int32_t* ar, const float* g, int ow, int w, int32_t base, float* d0, float* d1,
                    bool overwrite) {
  // Each of 16 values twice, for the two input columns of a window: from lanes 0-7 and from 8-15.
  const __m512i pairs_lo = _mm512_srli_epi32(iota16(), 1), pairs_hi = _mm512_add_epi32(pairs_lo, _mm512_set1_epi32(8));
  for (int ox = 0; ox < ow; ox += 16) {
    const int n = std::min(16, ow - ox);
    const __mmask16 lo = first_lanes(2 * n), hi = first_lanes(2 * n - 16);
    const __m512 gv = _mm512_maskz_loadu_ps(first_lanes(n), g + ox);
    const __m512i av = _mm512_maskz_loadu_epi32(first_lanes(n), ar + ox);
    const __m512 g_lo = _mm512_permutexvar_ps(pairs_lo, gv), g_hi = _mm512_permutexvar_ps(pairs_hi, gv);
    const __m512i a_lo = _mm512_permutexvar_epi32(pairs_lo, av), a_hi = _mm512_permutexvar_epi32(pairs_hi, av);
    const __m512i col = _mm512_add_epi32(_mm512_set1_epi32(base + 2 * ox), iota16());  // flat index in row 2*oy
    float* rows[2] = {d0, d1};
    for (int r = 0; r < 2; ++r) {
      const __m512i at_lo = _mm512_add_epi32(col, _mm512_set1_epi32(r * w));
      const __m512i at_hi = _mm512_add_epi32(at_lo, _mm512_set1_epi32(16));
      const __mmask16 win_lo = _mm512_cmpeq_epi32_mask(a_lo, at_lo), win_hi = _mm512_cmpeq_epi32_mask(a_hi, at_hi);
      float* dst = rows[r] + 2 * ox;
      const __m512 base_lo = overwrite ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(lo, dst);
      const __m512 base_hi = overwrite ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(hi, dst + 16);
      _mm512_mask_storeu_ps(dst, lo, _mm512_mask_add_ps(base_lo, win_lo, base_lo, g_lo));
      _mm512_mask_storeu_ps(dst + 16, hi, _mm512_mask_add_ps(base_hi, win_hi, base_hi, g_hi));
    }
  }
}

// Float planes pooled 2x2 with stride 2; false for any other case, which the portable loops take.
template <class T>
bool pool_plane_fast(const MaxPool2dShape& s, const T* xp, T* yp, int32_t* ap) {
  if constexpr (!std::is_same_v<T, float>) {
    return false;
  } else {
    for (int oy = 0; oy < s.oh(); ++oy)
      pool_row_2x2(xp + 2 * oy * s.w, xp + (2 * oy + 1) * s.w, s.ow(), s.w, 2 * oy * s.w, yp + oy * s.ow(),
                   ap + oy * s.ow());
    return true;
  }
}

template <class T>
bool unpool_plane_fast(const MaxPool2dShape& s, const int32_t* ap, const T* g, T* dp, GradMode mode) {
  if constexpr (!std::is_same_v<T, float>) {
    return false;
  } else {
    // Rows of fewer than 8 outputs fill too few lanes: there the scalar scatter into a cleared plane
    // was the faster (the digit model's 8x8 planes).
    if (s.ow() < 8) return false;
    const bool overwrite = mode == GradMode::Overwrite;
    const int oh = s.oh(), ow = s.ow();
    for (int oy = 0; oy < oh; ++oy) {
      float* d0 = dp + 2 * oy * s.w;
      unpool_row_2x2(ap + oy * ow, g + oy * ow, ow, s.w, 2 * oy * s.w, d0, d0 + s.w, overwrite);
      if (overwrite && s.w > 2 * ow) d0[2 * ow] = d0[s.w + 2 * ow] = 0.0f;  // an odd width's last column
    }
    if (overwrite && s.h > 2 * oh) std::memset(dp + 2 * oh * s.w, 0, sizeof(float) * s.w);  // an odd height's last row
    return true;
  }
}
#pragma GCC diagnostic pop
#else
template <class T>
bool pool_plane_fast(const MaxPool2dShape&, const T*, T*, int32_t*) {
  return false;
}
template <class T>
bool unpool_plane_fast(const MaxPool2dShape&, const int32_t*, const T*, T*, GradMode) {
  return false;
}
#endif

template <class T>
void pool_generic(const MaxPool2dShape& s, const T* xp, T* yp, int32_t* ap) {
  const int oh = s.oh(), ow = s.ow();
  for (int oy = 0; oy < oh; ++oy)
    for (int ox = 0; ox < ow; ++ox) {
      const int32_t best = window_argmax(s, xp, oy, ox);
      yp[oy * ow + ox] = xp[best];
      ap[oy * ow + ox] = best;
    }
}

}  // namespace

template <class T>
void maxpool2d_forward(const MaxPool2dShape& s, const T* x, T* y, int32_t* argmax) {
  const size_t in_plane = static_cast<size_t>(s.h) * s.w, out_plane = static_cast<size_t>(s.oh()) * s.ow();
  const bool fast = s.k == 2 && s.stride == 2;
#pragma omp parallel for schedule(static)
  for (long plane = 0; plane < static_cast<long>(s.n) * s.c; ++plane) {
    if (fast && pool_plane_fast(s, x + plane * in_plane, y + plane * out_plane, argmax + plane * out_plane)) continue;
    if (fast)
      pool_2x2(s, x + plane * in_plane, y + plane * out_plane, argmax + plane * out_plane);
    else
      pool_generic(s, x + plane * in_plane, y + plane * out_plane, argmax + plane * out_plane);
  }
}

template <class T>
void maxpool2d_backward(const MaxPool2dShape& s, const int32_t* argmax, const T* dy, T* dx, GradMode mode) {
  const int op = s.oh() * s.ow();
  const bool fast = s.k == 2 && s.stride == 2;
  // Planes are independent, so overlapping windows (stride < k) still sum race-free.
#pragma omp parallel for schedule(static)
  for (long plane = 0; plane < static_cast<long>(s.n) * s.c; ++plane) {
    T* dp = dx + plane * s.h * s.w;
    if (fast && unpool_plane_fast(s, argmax + plane * op, dy + plane * op, dp, mode)) continue;
    if (mode == GradMode::Overwrite) std::memset(dp, 0, sizeof(T) * s.h * s.w);
    const T* g = dy + plane * op;
    const int32_t* a = argmax + plane * op;
    for (int i = 0; i < op; ++i) dp[a[i]] += g[i];
  }
}

template void maxpool2d_forward<float>(const MaxPool2dShape&, const float*, float*, int32_t*);
template void maxpool2d_forward<double>(const MaxPool2dShape&, const double*, double*, int32_t*);
template void maxpool2d_backward<float>(const MaxPool2dShape&, const int32_t*, const float*, float*, GradMode);
template void maxpool2d_backward<double>(const MaxPool2dShape&, const int32_t*, const double*, double*, GradMode);

}  // namespace nullmark::cpu
