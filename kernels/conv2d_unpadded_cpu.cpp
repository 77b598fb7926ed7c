#include "kernels/conv2d_unpadded_cpu.h"

#include <algorithm>
#include <cstring>

#include "kernels/conv2d_taps_cpu.h"

namespace nullmark::cpu::conv_unpadded {

using conv_taps::in_register;
using conv_taps::kPerVec;
using conv_taps::load;
using conv_taps::Vec;

namespace {

// Products per weight chained into one sum, and filters per product, up to which the lowered GEMM
// sums in one chain from zero (see the header).
constexpr int kMaxChain = 256;

// Lowered rows the forward GEMM sums in one chain on OpenBLAS's SkylakeX kernels.
constexpr int kMaxForwardChain = 448;

// Weights whose sums run together in the weight gradient: kTaps lowered rows by two vectors of
// filters, 8 (float) accumulators, enough independent chains to hide the multiply-add latency.
constexpr int kTaps = 4;

// Input-gradient taps computed together: two lowered rows share each output-gradient load.
constexpr int kPair = 2;

// Offset of lowered row k's input value from its output position's (image, oy, ox) origin.
size_t tap_offset(const Conv2dShape& s, int k) {
  const int per_channel = s.kh * s.kw, c = k / per_channel, r = k % per_channel;
  return (static_cast<size_t>(c) * s.h + r / s.kw) * s.w + r % s.kw;
}

// The input gradient, for output planes of PV vectors and rows OW wide (0: any width). A row width
// known to the compiler makes each row's add-back a few vector adds: 1.08x faster on the digit
// model's 8-wide rows (bench_kernels_cpu).
template <int PV, int OW, class T>
void input_gradient_planes(const Conv2dShape& s, const T* w, const T* dy, size_t ld, int first, int count, T* dx,
                           GradMode mode) {
  constexpr int V = kPerVec<T>;
  const int oh = s.oh(), ow = OW ? OW : s.ow(), taps = s.kh * s.kw;
  const size_t image = static_cast<size_t>(s.c) * s.h * s.w, k_total = s.col_rows();
  for (int g = 0; g < count; ++g) {
    T* dxi = dx + (static_cast<size_t>(first) + g) * image;
    if (mode == GradMode::Overwrite) std::fill(dxi, dxi + image, T(0));
    const T* dyi = dy + static_cast<size_t>(g) * oh * ow;
    for (int c = 0; c < s.c; ++c)
      for (int t0 = 0; t0 < taps; t0 += kPair) {
        const int pair = std::min(kPair, taps - t0);
        const size_t k0 = static_cast<size_t>(c) * taps + t0;
        Vec<T> acc[kPair][PV] = {};
        for (int f = 0; f < s.f; ++f) {
          const T* wf = w + f * k_total + k0;
          T wt[kPair];
          for (int t = 0; t < kPair; ++t) wt[t] = t < pair ? wf[t] : T(0);
          for (int q = 0; q < PV; ++q) {
            const Vec<T> d = in_register<T>(load<T>(dyi + f * ld + q * V));
            for (int t = 0; t < kPair; ++t) acc[t][q] += d * wt[t];
          }
        }
        // Added back lowered row by lowered row, as col2im adds them.
        for (int t = 0; t < pair; ++t) {
          T sums[PV * V];
          std::memcpy(sums, acc[t], sizeof sums);
          const int i = (t0 + t) / s.kw, j = (t0 + t) % s.kw;
          T* dxc = dxi + (static_cast<size_t>(c) * s.h + i) * s.w + j;
          for (int oy = 0; oy < oh; ++oy)
            for (int ox = 0; ox < ow; ++ox) dxc[oy * s.w + ox] += sums[oy * ow + ox];
        }
      }
  }
}

// The forward products, two vectors of filters at a time by kPositions positions: 8 (float)
// accumulators. (One vector of filters by 8 positions, for the first layer's 16 filters, ran 1.7x
// slower than its lowered GEMM: 25 products per sum do not pay for setting up the positions.)
template <class T>
void forward_group(const Conv2dShape& s, const T* x, int first, int count, const T* wt, T* out) {
  constexpr int V = kPerVec<T>, FV = 2, kPositions = 4;
  const int oh = s.oh(), ow = s.ow(), p = oh * ow, cols = count * p;
  const size_t plane = static_cast<size_t>(s.h) * s.w, image = s.c * plane;
  for (int f0 = 0; f0 < s.f; f0 += FV * V)
    for (int p0 = 0; p0 < cols; p0 += kPositions) {
      const int positions = std::min(kPositions, cols - p0);
      // A short last group repeats its last position; those sums are dropped.
      const T* at[kPositions];
      for (int t = 0; t < kPositions; ++t) {
        const int q = p0 + std::min(t, positions - 1), g = q / p, r = q % p;
        at[t] = x + (static_cast<size_t>(first) + g) * image + static_cast<size_t>(r / ow) * s.w + r % ow;
      }
      Vec<T> acc[kPositions][FV] = {};
      const T* wk = wt + f0;
      for (int c = 0; c < s.c; ++c)
        for (int i = 0; i < s.kh; ++i)
          for (int j = 0; j < s.kw; ++j, wk += s.f) {
            const size_t off = c * plane + static_cast<size_t>(i) * s.w + j;
            Vec<T> wv[FV];
            for (int h = 0; h < FV; ++h) wv[h] = in_register<T>(load<T>(wk + h * V));
            for (int t = 0; t < kPositions; ++t) {
              const T v = at[t][off];
              for (int h = 0; h < FV; ++h) acc[t][h] += wv[h] * v;
            }
          }
      for (int t = 0; t < positions; ++t)
        std::memcpy(out + static_cast<size_t>(p0 + t) * s.f + f0, acc[t], sizeof acc[t]);
    }
}

}  // namespace

bool chains_fused() {
#if defined(__FMA__)
  return true;
#else
  return false;
#endif
}

template <class T>
bool forward_applies(const Conv2dShape& s) {
  return s.stride == 1 && s.pad == 0 && s.f % (2 * kPerVec<T>) == 0 &&
         s.col_rows() <= static_cast<size_t>(kMaxForwardChain);
}

template <class T>
bool weight_gradient_applies(const Conv2dShape& s, int cols) {
  return s.stride == 1 && s.pad == 0 && s.f % (2 * kPerVec<T>) == 0 && cols <= kMaxChain;
}

template <class T>
bool input_gradient_applies(const Conv2dShape& s) {
  const int p = s.oh() * s.ow();
  return s.stride == 1 && s.pad == 0 && p % kPerVec<T> == 0 && p <= 4 * kPerVec<T> && s.f <= kMaxChain;
}

template <class T>
void forward_products(const Conv2dShape& s, const T* x, int first, int count, const T* wt, T* out) {
  forward_group(s, x, first, count, wt, out);
}

template <class T>
void weight_gradient(const Conv2dShape& s, const T* x, int first, int count, const T* dyt, T* dw) {
  constexpr int V = kPerVec<T>;
  const int oh = s.oh(), ow = s.ow(), k_total = static_cast<int>(s.col_rows());
  const size_t image = static_cast<size_t>(s.c) * s.h * s.w;
  for (int f0 = 0; f0 < s.f; f0 += 2 * V)
    for (int k0 = 0; k0 < k_total; k0 += kTaps) {
      const int taps = std::min(kTaps, k_total - k0);
      // A short last group repeats its last row; those sums are dropped.
      size_t off[kTaps];
      for (int t = 0; t < kTaps; ++t) off[t] = tap_offset(s, k0 + std::min(t, taps - 1));
      Vec<T> acc[kTaps][2] = {};
      const T* d = dyt + f0;
      for (int g = 0; g < count; ++g)
        for (int oy = 0; oy < oh; ++oy) {
          const T* xr = x + (static_cast<size_t>(first) + g) * image + static_cast<size_t>(oy) * s.w;
          for (int ox = 0; ox < ow; ++ox, d += s.f) {
            const Vec<T> d0 = in_register<T>(load<T>(d)), d1 = in_register<T>(load<T>(d + V));
            for (int t = 0; t < kTaps; ++t) {
              const T v = xr[ox + off[t]];
              acc[t][0] += d0 * v;
              acc[t][1] += d1 * v;
            }
          }
        }
      for (int t = 0; t < taps; ++t)
        for (int h = 0; h < 2; ++h) {
          T* out = dw + static_cast<size_t>(k0 + t) * s.f + f0 + h * V;
          const Vec<T> sum = load<T>(out) + acc[t][h];
          std::memcpy(out, &sum, sizeof sum);
        }
    }
}

template <int PV, class T>
void input_gradient_rows(const Conv2dShape& s, const T* w, const T* dy, size_t ld, int first, int count, T* dx,
                         GradMode mode) {
  // Only the widths whose whole rows fill the PV vectors (the others never reach here).
  constexpr int positions = PV * kPerVec<T>;
  const int ow = s.ow();
  if constexpr (positions % 4 == 0)
    if (ow == 4) return input_gradient_planes<PV, 4>(s, w, dy, ld, first, count, dx, mode);
  if constexpr (positions % 8 == 0)
    if (ow == 8) return input_gradient_planes<PV, 8>(s, w, dy, ld, first, count, dx, mode);
  if constexpr (positions % 16 == 0)
    if (ow == 16) return input_gradient_planes<PV, 16>(s, w, dy, ld, first, count, dx, mode);
  input_gradient_planes<PV, 0>(s, w, dy, ld, first, count, dx, mode);
}

template <class T>
void input_gradient(const Conv2dShape& s, const T* w, const T* dy, size_t ld, int first, int count, T* dx,
                    GradMode mode) {
  switch (s.oh() * s.ow() / kPerVec<T>) {
    case 1:
      return input_gradient_rows<1>(s, w, dy, ld, first, count, dx, mode);
    case 2:
      return input_gradient_rows<2>(s, w, dy, ld, first, count, dx, mode);
    case 3:
      return input_gradient_rows<3>(s, w, dy, ld, first, count, dx, mode);
    default:
      return input_gradient_rows<4>(s, w, dy, ld, first, count, dx, mode);
  }
}

#define NULLMARK_CONV_UNPADDED(T)                                                          \
  template bool forward_applies<T>(const Conv2dShape&);                                    \
  template void forward_products<T>(const Conv2dShape&, const T*, int, int, const T*, T*); \
  template bool weight_gradient_applies<T>(const Conv2dShape&, int);                       \
  template bool input_gradient_applies<T>(const Conv2dShape&);                             \
  template void weight_gradient<T>(const Conv2dShape&, const T*, int, int, const T*, T*);  \
  template void input_gradient<T>(const Conv2dShape&, const T*, const T*, size_t, int, int, T*, GradMode);
NULLMARK_CONV_UNPADDED(float)
NULLMARK_CONV_UNPADDED(double)
#undef NULLMARK_CONV_UNPADDED

}  // namespace nullmark::cpu::conv_unpadded
