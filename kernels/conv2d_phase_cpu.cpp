#include "kernels/conv2d_phase_cpu.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <utility>

#include "kernels/conv2d_taps_cpu.h"

namespace nullmark::cpu::conv_phase {

namespace {
using namespace conv_taps;

// The nine taps of the forward pass on the phases: tap (i, j) reads phase (i % 2, j % 2), i / 2 rows
// and j / 2 columns on.
struct PhaseTaps {
  static constexpr int count = 9;
  int pitch;
  size_t plane;  // floats per phase plane
  int offset(int t) const {
    const int i = t / 3, j = t % 3;
    return static_cast<int>(((i % 2) * 2 + j % 2) * plane) + (i / 2) * pitch + j / 2;
  }
  static constexpr int weight(int t) { return t; }
};

// The taps of the input gradient's phase (A, B): those (i, j) with i % 2 = A and j % 2 = B, read from
// the zero-bordered output gradient at (1 - i / 2) rows and (1 - j / 2) columns on.
template <int A, int B>
struct GatherTaps {
  static constexpr int columns = B == 0 ? 2 : 1;  // j = B, B + 2 while below 3
  static constexpr int count = (A == 0 ? 2 : 1) * columns;
  int pitch;
  static constexpr int i(int t) { return A + 2 * (t / columns); }
  static constexpr int j(int t) { return B + 2 * (t % columns); }
  int offset(int t) const { return (1 - i(t) / 2) * pitch + 1 - j(t) / 2; }
  static constexpr int weight(int t) { return i(t) * 3 + j(t); }
};

// The four phases of an image's padded input, each on the output's grid: phase (a, b) holds padded
// row 2u + a, column 2v + b at grid position u * pitch + v, with pitch OW + 2 and OH + 2 rows, so a
// phase plane has the size of a padded output-gradient plane.
struct Phases {
  Grid out;        // the output's grid (and the output gradient's padded planes)
  size_t channel;  // floats per input channel: its four phase planes
  explicit Phases(const Conv2dShape& s) : out(s.oh(), s.ow()), channel(4 * out.plane) {}
  // A block reads past its channel's last phase plane by at most kLanes + 16 positions less a row.
  size_t floats(int channels) const { return channels * channel + out.slack(); }
  PhaseTaps taps() const { return PhaseTaps{out.pitch, out.plane}; }
};

// even[m] = row[2m] and odd[m] = row[2m + 1] for the w values of a row. Floats go 16 at a time
// through two vector shuffles: element by element, splitting the inputs cost as much as the stride-2
// convolution's multiply-adds (measured with bench_kernels_cpu).
template <class T>
inline void deinterleave(const T* row, int w, T* even, T* odd) {
  int k = 0;
  if constexpr (std::is_same_v<T, float>) {
    typedef float V16 __attribute__((vector_size(64)));
    typedef float V8 __attribute__((vector_size(32)));
    for (; k + 16 <= w; k += 16) {
      V16 v;
      std::memcpy(&v, row + k, sizeof v);
      const V8 e = __builtin_shufflevector(v, v, 0, 2, 4, 6, 8, 10, 12, 14);
      const V8 o = __builtin_shufflevector(v, v, 1, 3, 5, 7, 9, 11, 13, 15);
      std::memcpy(even + k / 2, &e, sizeof e);
      std::memcpy(odd + k / 2, &o, sizeof o);
    }
  }
  for (; k < w; ++k) (k % 2 ? odd : even)[k / 2] = row[k];
}

// Splits channels x [C, H, W] into the phases of its zero-padded planes. Padded row r = y + 1 is
// phase row r / 2 of phase r % 2, and likewise for columns: even columns x land at phase column x / 2
// of the odd phase, odd ones at (x + 1) / 2 of the even phase. Padding positions are never written,
// so they stay zero from the first fill.
template <class T>
void split_phases(const T* x, int channels, int h, int w, const Phases& ph, T* out) {
  const size_t plane = ph.out.plane;
  for (int c = 0; c < channels; ++c)
    for (int y = 0; y < h; ++y) {
      T* row = out + c * ph.channel + ((y + 1) % 2) * 2 * plane + static_cast<size_t>((y + 1) / 2) * ph.out.pitch;
      deinterleave(x + (static_cast<size_t>(c) * h + y) * w, w, row + plane, row + 1);
    }
}

// The input gradient's phase (A, B) of one image: for the padded input's rows 2u + A and columns
// 2v + B, dxpad[c] = sum over the filters f and the taps (i, j) with i % 2 = A, j % 2 = B of
// w[f][c][i][j] * dy[f][u - i / 2][v - j / 2], read from dy's zero-bordered planes (dypad, on the
// output grid g). wt is w transposed to [c][f][3][3]. The padded positions map back to
// dx[c][2u + A - 1][2v + B - 1] where inside.
template <int FB, int A, int B, class T>
void phase_channels(const T* dypad, const Grid& g, const T* wt, const Conv2dShape& s, int c0, T* dx, bool accumulate) {
  const GatherTaps<A, B> taps{g.pitch};
  const size_t blocks = (static_cast<size_t>(s.oh() + 1) * g.pitch + kLanes - 1) / kLanes;
  for (size_t blk = 0; blk < blocks; ++blk) {
    T tile[FB][kLanes];
    tap_block<FB>(dypad, g.gradient_plane(), s.f, taps, wt, static_cast<size_t>(s.f) * 9, c0, blk * kLanes, tile);
    int u = static_cast<int>(blk * kLanes / g.pitch), v = static_cast<int>(blk * kLanes % g.pitch);
    for (int l = 0; l < kLanes; ++l, ++v) {
      if (v == g.pitch) v = 0, ++u;
      const int y = 2 * u + A - 1, x = 2 * v + B - 1;
      if (y < 0 || y >= s.h || x < 0 || x >= s.w) continue;
      for (int f = 0; f < FB; ++f) {
        T* d = dx + (static_cast<size_t>(c0 + f) * s.h + y) * s.w + x;
        *d = accumulate ? *d + tile[f][l] : tile[f][l];
      }
    }
  }
}

template <int A, int B, class T>
void phase_input_gradient(const T* dypad, const Grid& g, const T* wt, const Conv2dShape& s, T* dx, bool accumulate) {
  int c = 0;
  for (; c + 8 <= s.c; c += 8) phase_channels<8, A, B>(dypad, g, wt, s, c, dx, accumulate);
  for (; c + 4 <= s.c; c += 4) phase_channels<4, A, B>(dypad, g, wt, s, c, dx, accumulate);
  for (; c < s.c; ++c) phase_channels<1, A, B>(dypad, g, wt, s, c, dx, accumulate);
}

// Images per block of the backward pass (conv2d_taps_cpu.h).
int block_images(const Conv2dShape& s, const Phases& ph) {
  const Grid& g = ph.out;
  return conv_taps::block_images(
      s, s.c * ph.channel + s.f * g.gradient_plane(), g.dw_len() / 16, omp_get_max_threads());
}

template <class T>
BackwardScratch<T> scratch(const Conv2dShape& s, T* work, int thread) {
  const Phases ph(s);
  const int b = block_images(s, ph);
  return backward_scratch(s, work + per_thread(s) * thread, b * s.c * ph.channel + ph.out.slack(), ph.out, b);
}
}  // namespace

bool applies(const Conv2dShape& s) {
  return s.kh == 3 && s.kw == 3 && s.stride == 2 && s.pad == 1 && s.f % 2 == 0;
}

bool weight_gradient_applies(const Conv2dShape& s) { return applies(s) && s.ow() >= 16; }

size_t per_thread(const Conv2dShape& s) {
  const Phases ph(s);
  const Grid& g = ph.out;
  const int b = block_images(s, ph);
  // forward: one image's phases. backward, per block of images: the inputs' phases, the padded
  // masked dy (whose interiors the weight gradient reads); then the transposed filters and the
  // private weight and bias gradients.
  const size_t backward = backward_floats(s, b * s.c * ph.channel + g.slack(), g, b);
  return std::max(ph.floats(s.c), backward);
}

template <class T>
void forward(const Conv2dShape& s, const T* x, const T* w, const T* b, T* y, T* work) {
  const Phases ph(s);
  const size_t in = static_cast<size_t>(s.c) * s.h * s.w, out = static_cast<size_t>(s.f) * s.oh() * s.ow();
  const PhaseTaps taps = ph.taps();
#pragma omp parallel
  {
    T* xph = work + per_thread(s) * omp_get_thread_num();
    std::fill(xph, xph + ph.floats(s.c), T(0));
#pragma omp for schedule(static)
    for (int n = 0; n < s.n; ++n) {
      split_phases<T>(x + n * in, s.c, s.h, s.w, ph, xph);
      conv_image(xph, ph.channel, s.c, taps, ph.out, w, s.f, s.oh(), s.ow(), y + n * out, b, s.relu, false);
    }
  }
}

template <class T>
void backward(const Conv2dShape& s, const T* x, const T* w, const T* y, const T* dy, T* dx, T* dw, T* db,
              GradMode mode, T* work) {
  const Phases ph(s);
  const Grid& g = ph.out;
  const size_t in = static_cast<size_t>(s.c) * s.h * s.w, out = static_cast<size_t>(s.f) * s.oh() * s.ow();
  const size_t x_image = s.c * ph.channel, dy_image = s.f * g.gradient_plane();
  const PhaseTaps taps = ph.taps();
  const bool acc = mode == GradMode::Accumulate;
  backward_blocks<T>(
      s, block_images(s, ph), dw, db, acc, [&](int t) { return scratch(s, work, t); },
      [&](const BackwardScratch<T>& sc) {  // the input gradient's filters: [c][f][i][j] = w[f][c][i][j]
        if (dx)
          for (int f = 0; f < s.f; ++f)
            for (int c = 0; c < s.c; ++c)
              std::memcpy(sc.filters + (static_cast<size_t>(c) * s.f + f) * 9, w + (static_cast<size_t>(f) * s.c + c) * 9,
                          sizeof(T) * 9);
      },
      [&](const BackwardScratch<T>& sc, int n, int img) {
        output_gradient<T>(dy + n * out, s.relu ? y + n * out : nullptr, s.f, s.oh(), s.ow(), g,
                           sc.dypad + img * dy_image, db ? sc.db : nullptr);
        if (dw) split_phases<T>(x + n * in, s.c, s.h, s.w, ph, sc.in + img * x_image);
      },
      [&](const BackwardScratch<T>& sc, int first, int count) {
        if (dw)
          weight_grad(sc.in, x_image, ph.channel, sc.dypad + g.pitch + 1, dy_image, g.gradient_plane(), g.dw_len(),
                      taps, s.c, s.f, count, sc.dw);
        if (dx)
          for (int img = 0; img < count; ++img) {
            const T* dypad = sc.dypad + img * dy_image;
            T* dxn = dx + (first + img) * in;
            phase_input_gradient<0, 0>(dypad, g, sc.filters, s, dxn, acc);
            phase_input_gradient<0, 1>(dypad, g, sc.filters, s, dxn, acc);
            phase_input_gradient<1, 0>(dypad, g, sc.filters, s, dxn, acc);
            phase_input_gradient<1, 1>(dypad, g, sc.filters, s, dxn, acc);
          }
      });
}

template void forward<float>(const Conv2dShape&, const float*, const float*, const float*, float*, float*);
template void forward<double>(const Conv2dShape&, const double*, const double*, const double*, double*, double*);
template void backward<float>(const Conv2dShape&, const float*, const float*, const float*, const float*, float*,
                              float*, float*, GradMode, float*);
template void backward<double>(const Conv2dShape&, const double*, const double*, const double*, const double*,
                               double*, double*, double*, GradMode, double*);

}  // namespace nullmark::cpu::conv_phase
