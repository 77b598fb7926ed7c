#include <algorithm>
#include <cstdint>
#include <cstring>

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
    if (fast)
      pool_2x2(s, x + plane * in_plane, y + plane * out_plane, argmax + plane * out_plane);
    else
      pool_generic(s, x + plane * in_plane, y + plane * out_plane, argmax + plane * out_plane);
  }
}

template <class T>
void maxpool2d_backward(const MaxPool2dShape& s, const int32_t* argmax, const T* dy, T* dx, GradMode mode) {
  const int op = s.oh() * s.ow();
  // Planes are independent, so overlapping windows (stride < k) still sum race-free.
#pragma omp parallel for schedule(static)
  for (long plane = 0; plane < static_cast<long>(s.n) * s.c; ++plane) {
    T* dp = dx + plane * s.h * s.w;
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
