#include "kernels/conv2d_grid_cpu.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "kernels/conv2d_taps_cpu.h"

namespace nullmark::cpu::conv_grid {

namespace {
using namespace conv_taps;

// Images per block of the backward pass (conv2d_taps_cpu.h).
int block_images(const Conv2dShape& s, const Grid& g) {
  return conv_taps::block_images(s, s.c * g.plane + s.f * g.gradient_plane(), g.dw_len() / 16, omp_get_max_threads());
}

}  // namespace

bool applies(const Conv2dShape& s) {
  // Even filter counts: the weight gradient works on pairs of filters.
  return s.kh == 3 && s.kw == 3 && s.stride == 1 && s.pad == 1 && s.f % 2 == 0;
}

namespace {
template <class T>
BackwardScratch<T> scratch(const Conv2dShape& s, T* work, int thread) {
  const Grid g(s.h, s.w);
  const int b = block_images(s, g);
  return backward_scratch(s, work + per_thread(s) * thread, b * s.c * g.plane + g.slack(), g, b);
}
}  // namespace

bool weight_gradient_applies(const Conv2dShape& s) { return applies(s) && s.w >= 8; }

size_t per_thread(const Conv2dShape& s) {
  const Grid g(s.h, s.w);
  // forward: one padded input. backward, per block of images: padded inputs, padded masked dy
  // (whose interiors the weight gradient reads); then the flipped filters and the private weight
  // and bias gradients.
  const int b = block_images(s, g);
  const size_t backward = backward_floats(s, b * s.c * g.plane + g.slack(), g, b);
  return std::max(g.padded_floats(s.c), backward);
}

template <class T>
void forward(const Conv2dShape& s, const T* x, const T* w, const T* b, T* y, T* work) {
  const Grid g(s.h, s.w);
  const size_t in = static_cast<size_t>(s.c) * s.h * s.w, out = static_cast<size_t>(s.f) * s.h * s.w;
  const GridTaps taps = g.taps();
#pragma omp parallel
  {
    T* xpad = work + per_thread(s) * omp_get_thread_num();
    std::fill(xpad, xpad + g.padded_floats(s.c), T(0));
#pragma omp for schedule(static)
    for (int n = 0; n < s.n; ++n) {
      pad_image<T>(x + n * in, nullptr, s.c, s.h, s.w, g, xpad);
      conv_image(xpad, g.plane, s.c, taps, g, w, s.f, s.h, s.w, y + n * out, b, s.relu, false);
    }
  }
}

template <class T>
void backward(const Conv2dShape& s, const T* x, const T* w, const T* y, const T* dy, T* dx, T* dw, T* db,
              GradMode mode, T* work) {
  const Grid g(s.h, s.w);
  const size_t in = static_cast<size_t>(s.c) * s.h * s.w, out = static_cast<size_t>(s.f) * s.h * s.w;
  const size_t x_image = s.c * g.plane, dy_image = s.f * g.gradient_plane();
  const GridTaps taps = g.taps();
  const bool acc = mode == GradMode::Accumulate;
  backward_blocks<T>(
      s, block_images(s, g), dw, db, acc, [&](int t) { return scratch(s, work, t); },
      [&](const BackwardScratch<T>& sc) {  // the input gradient's filters: [c][f][2 - i][2 - j] = w[f][c][i][j]
        if (dx)
          for (int f = 0; f < s.f; ++f)
            for (int c = 0; c < s.c; ++c)
              for (int t = 0; t < 9; ++t)
                sc.filters[(static_cast<size_t>(c) * s.f + f) * 9 + 8 - t] = w[(static_cast<size_t>(f) * s.c + c) * 9 + t];
      },
      [&](const BackwardScratch<T>& sc, int n, int img) {
        output_gradient<T>(dy + n * out, s.relu ? y + n * out : nullptr, s.f, s.h, s.w, g, sc.dypad + img * dy_image,
                           db ? sc.db : nullptr);
        if (dw) pad_image<T>(x + n * in, nullptr, s.c, s.h, s.w, g, sc.in + img * x_image);
      },
      [&](const BackwardScratch<T>& sc, int first, int count) {
        if (dw)
          weight_grad(sc.in, x_image, g.plane, sc.dypad + g.pitch + 1, dy_image, g.gradient_plane(), g.dw_len(), taps,
                      s.c, s.f, count, sc.dw);
        if (dx)
          for (int img = 0; img < count; ++img)
            conv_image(sc.dypad + img * dy_image, g.gradient_plane(), s.f, taps, g, sc.filters, s.c, s.h, s.w,
                       dx + (first + img) * in, static_cast<const T*>(nullptr), false, acc);
      });
}

template void forward<float>(const Conv2dShape&, const float*, const float*, const float*, float*, float*);
template void forward<double>(const Conv2dShape&, const double*, const double*, const double*, double*, double*);
template void backward<float>(const Conv2dShape&, const float*, const float*, const float*, const float*, float*,
                              float*, float*, GradMode, float*);
template void backward<double>(const Conv2dShape&, const double*, const double*, const double*, const double*,
                               double*, double*, double*, GradMode, double*);

}  // namespace nullmark::cpu::conv_grid
