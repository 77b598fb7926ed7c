#include <cstring>

#include "kernels/maxpool2d.h"

namespace nullmark::cpu {

template <class T>
void maxpool2d_forward(const MaxPool2dShape& s, const T* x, T* y, int32_t* argmax) {
  const int oh = s.oh(), ow = s.ow();
#pragma omp parallel for schedule(static)
  for (long plane = 0; plane < static_cast<long>(s.n) * s.c; ++plane) {
    const T* xp = x + plane * s.h * s.w;
    T* yp = y + plane * oh * ow;
    int32_t* ap = argmax + plane * oh * ow;
    if (s.k == 2 && s.stride == 2) {  // the common case, without the generic window loops
      for (int oy = 0; oy < oh; ++oy) {
        const T* r0 = xp + (2 * oy) * s.w;
        const T* r1 = r0 + s.w;
        for (int ox = 0; ox < ow; ++ox) {
          // Scan order (0,0), (0,1), (1,0), (1,1), keeping the first maximum like the generic path.
          // Written as selects, not branches: the comparisons are data-dependent coin flips.
          const int base = 2 * oy * s.w + 2 * ox;
          const T a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
          const bool tb = b > a;
          const T ab = tb ? b : a;
          const int iab = tb ? 1 : 0;
          const bool td = d > c;
          const T cd = td ? d : c;
          const int icd = s.w + (td ? 1 : 0);
          const bool tc = cd > ab;
          const T m = tc ? cd : ab;
          const int best = base + (tc ? icd : iab);
          yp[oy * ow + ox] = m;
          ap[oy * ow + ox] = best;
        }
      }
      continue;
    }
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox) {
        int best = (oy * s.stride) * s.w + ox * s.stride;
        T m = xp[best];
        for (int i = 0; i < s.k; ++i)
          for (int j = 0; j < s.k; ++j) {
            const int idx = (oy * s.stride + i) * s.w + ox * s.stride + j;
            if (xp[idx] > m) m = xp[idx], best = idx;
          }
        yp[oy * ow + ox] = m;
        ap[oy * ow + ox] = best;
      }
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
