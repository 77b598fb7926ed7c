// A convolution's inputs drawn at random and the CPU kernel's results on them: the reference that
// the CUDA parity tests and the CPU runs of the CUDA block programs compare with.
#pragma once
#include <sstream>
#include <string>
#include <vector>

#include "gradcheck.h"
#include "kernels/conv2d.h"

namespace nullmark::test {

// Random floats in [-1, 1] for comparisons within a tolerance; small integers (-3 .. 3) where every
// sum is exact, for comparisons bit for bit.
enum class ConvValues { Random, SmallInts };

struct ConvReference {
  std::vector<float> x, w, b, dy;    // inputs, seeds 1-4
  std::vector<float> y, dx, dw, db;  // cpu::conv2d_forward / conv2d_backward (overwriting)
  explicit ConvReference(const Conv2dShape& s, ConvValues values = ConvValues::Random)
      : x(draw(values, static_cast<size_t>(s.n) * s.c * s.h * s.w, 1)),
        w(draw(values, static_cast<size_t>(s.f) * s.col_rows(), 2)),
        b(draw(values, s.f, 3)),
        dy(draw(values, static_cast<size_t>(s.n) * s.f * s.oh() * s.ow(), 4)),
        y(dy.size()),
        dx(x.size()),
        dw(w.size()),
        db(s.f) {
    std::vector<float> work(cpu::conv2d_workspace(s));
    cpu::conv2d_forward(s, x.data(), w.data(), b.data(), y.data(), work.data());
    cpu::conv2d_backward(s, x.data(), w.data(), y.data(), dy.data(), dx.data(), dw.data(), db.data(),
                         GradMode::Overwrite, work.data());
  }
  static std::vector<float> draw(ConvValues values, size_t n, uint64_t seed) {
    return values == ConvValues::Random ? random_floats(n, seed) : small_ints(n, seed);
  }
};

// The shape as test messages name it: "n2 c2 7x5 f3 k3 s1 p1 relu 0".
inline std::string conv_shape_name(const Conv2dShape& s) {
  std::ostringstream o;
  o << "n" << s.n << " c" << s.c << " " << s.h << "x" << s.w << " f" << s.f << " k" << s.kh << " s" << s.stride
    << " p" << s.pad << " relu " << s.relu;
  return o.str();
}

// Calls f(shape) for every small convolution shape: images 1-9 high (odd heights) and 1-9 wide,
// kernels 1-5, strides 1-3, padding 0-2 below the kernel size; two images of two channels, three
// filters. Every way a kernel can overhang an edge, taps that miss the image for every output
// included. Returns the number of shapes.
template <class F>
int for_each_small_conv_shape(F&& f) {
  int shapes = 0;
  for (int h = 1; h <= 9; h += 2)
    for (int w = 1; w <= 9; ++w)
      for (int k = 1; k <= 5; ++k)
        for (int stride = 1; stride <= 3; ++stride)
          for (int pad = 0; pad < k && pad <= 2; ++pad) {
            if (h + 2 * pad < k || w + 2 * pad < k) continue;
            Conv2dShape s;
            s.n = 2, s.c = 2, s.h = h, s.w = w, s.f = 3, s.kh = s.kw = k, s.stride = stride, s.pad = pad;
            f(s);
            ++shapes;
          }
  return shapes;
}

}  // namespace nullmark::test
