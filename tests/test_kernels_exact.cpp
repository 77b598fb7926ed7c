// Tier 2: small integer-valued inputs, where every float sum is exact, against naive loops.
// Catches indexing bugs that tolerances would hide.
#include <catch2/catch.hpp>
#include <vector>

#include "conv_reference.h"
#include "kernels/conv2d.h"
#include "kernels/dense.h"
#include "kernels/maxpool2d.h"

using namespace nullmark;

using test::small_ints;

namespace {
// Forward, backward (with and without bias, input gradient only) of shape s on small integers,
// every sum exact, against naive loops.
void check_exact(const Conv2dShape& s) {
  INFO(test::conv_shape_name(s));
  const int oh = s.oh(), ow = s.ow();
  auto x = small_ints(static_cast<size_t>(s.n) * s.c * s.h * s.w, 1),
       w = small_ints(static_cast<size_t>(s.f) * s.c * s.kh * s.kw, 2);
  auto b = small_ints(s.f, 3), dy = small_ints(static_cast<size_t>(s.n) * s.f * oh * ow, 4);
  auto X = [&](int n, int ch, int y, int xx) -> float {
    if (y < 0 || y >= s.h || xx < 0 || xx >= s.w) return 0.0f;
    return x[((static_cast<size_t>(n) * s.c + ch) * s.h + y) * s.w + xx];
  };
  auto W = [&](int f, int ch, int i, int j) { return w[((static_cast<size_t>(f) * s.c + ch) * s.kh + i) * s.kw + j]; };
  std::vector<float> y(dy.size()), work(cpu::conv2d_workspace(s));
  cpu::conv2d_forward(s, x.data(), w.data(), b.data(), y.data(), work.data());
  std::vector<float> ref_dx(x.size(), 0.0f), ref_dw(w.size(), 0.0f), ref_db(s.f, 0.0f);
  size_t mism = 0;
  for (int n = 0; n < s.n; ++n)
    for (int f = 0; f < s.f; ++f)
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox) {
          float acc = b[f];
          const float g = dy[((static_cast<size_t>(n) * s.f + f) * oh + oy) * ow + ox];
          ref_db[f] += g;
          for (int ch = 0; ch < s.c; ++ch)
            for (int i = 0; i < s.kh; ++i)
              for (int j = 0; j < s.kw; ++j) {
                const int iy = oy * s.stride + i - s.pad, ix = ox * s.stride + j - s.pad;
                acc += W(f, ch, i, j) * X(n, ch, iy, ix);
                ref_dw[((static_cast<size_t>(f) * s.c + ch) * s.kh + i) * s.kw + j] += g * X(n, ch, iy, ix);
                if (iy >= 0 && iy < s.h && ix >= 0 && ix < s.w)
                  ref_dx[((static_cast<size_t>(n) * s.c + ch) * s.h + iy) * s.w + ix] += g * W(f, ch, i, j);
              }
          mism += acc != y[((static_cast<size_t>(n) * s.f + f) * oh + oy) * ow + ox];
        }
  CHECK(mism == 0);
  std::vector<float> dx(x.size()), dw(w.size()), db(s.f);
  cpu::conv2d_backward(s, x.data(), w.data(), y.data(), dy.data(), dx.data(), dw.data(), db.data(), GradMode::Overwrite,
                       work.data());
  CHECK(dx == ref_dx);
  CHECK(dw == ref_dw);
  CHECK(db == ref_db);

  // Without a bias (the ResNet layers): the output lacks exactly b, the other gradients are unchanged.
  std::vector<float> y_nb(y.size()), dx_nb(x.size()), dw_nb(w.size());
  cpu::conv2d_forward<float>(s, x.data(), w.data(), nullptr, y_nb.data(), work.data());
  size_t bias_mism = 0;
  for (size_t i = 0; i < y.size(); ++i) bias_mism += y_nb[i] + b[(i / (oh * ow)) % s.f] != y[i];
  CHECK(bias_mism == 0);
  cpu::conv2d_backward<float>(s, x.data(), w.data(), y_nb.data(), dy.data(), dx_nb.data(), dw_nb.data(), nullptr,
                              GradMode::Overwrite, work.data());
  CHECK(dx_nb == ref_dx);
  CHECK(dw_nb == ref_dw);

  // Input gradient only (Neural Cleanse): no weight or bias gradient, the same dx.
  std::vector<float> dx_only(x.size());
  cpu::conv2d_backward<float>(s, x.data(), w.data(), y.data(), dy.data(), dx_only.data(), nullptr, nullptr,
                              GradMode::Overwrite, work.data());
  CHECK(dx_only == ref_dx);
}
}  // namespace

TEST_CASE("conv2d forward and backward are exact on integers", "[exact][conv2d]") {
  const int cfg[][8] = {{1, 3, 7, 7, 5, 3, 1, 1},
                        {4, 1, 28, 28, 16, 5, 1, 0},
                        {3, 16, 12, 12, 32, 5, 1, 0},
                        {2, 3, 7, 7, 2, 7, 2, 3},
                        {5, 2, 9, 6, 3, 2, 2, 0},
                        // CIFAR-10's 32x32 padded layer: one image per block.
                        {3, 16, 32, 32, 16, 3, 1, 1},
                        // Kernels wider than the image and its left padding, at strides 2 and 3:
                        // some taps lie right of the image for every output column.
                        {1, 2, 10, 3, 5, 5, 2, 1},
                        {2, 2, 3, 2, 3, 5, 3, 2}};
  for (auto& c : cfg) {
    Conv2dShape s;
    s.n = c[0], s.c = c[1], s.h = c[2], s.w = c[3], s.f = c[4], s.kh = s.kw = c[5], s.stride = c[6], s.pad = c[7];
    check_exact(s);
  }
}

TEST_CASE("conv2d is exact on integers for every small shape", "[exact][conv2d]") {
  CHECK(test::for_each_small_conv_shape(check_exact) > 1000);
}

TEST_CASE("dense forward and backward are exact on integers", "[exact][dense]") {
  DenseShape s{3, 13, 7};
  auto x = small_ints(39, 1), w = small_ints(91, 2), b = small_ints(7, 3), dy = small_ints(21, 4);
  std::vector<float> y(21), dx(39), dw(91), db(7);
  cpu::dense_forward(s, x.data(), w.data(), b.data(), y.data());
  cpu::dense_backward(s, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data(), GradMode::Overwrite);
  for (int n = 0; n < 3; ++n)
    for (int o = 0; o < 7; ++o) {
      float acc = b[o];
      for (int i = 0; i < 13; ++i) acc += x[n * 13 + i] * w[o * 13 + i];
      CHECK(y[n * 7 + o] == acc);
    }
  for (int o = 0; o < 7; ++o)
    for (int i = 0; i < 13; ++i) {
      float acc = 0;
      for (int n = 0; n < 3; ++n) acc += dy[n * 7 + o] * x[n * 13 + i];
      CHECK(dw[o * 13 + i] == acc);
    }
  for (int n = 0; n < 3; ++n)
    for (int i = 0; i < 13; ++i) {
      float acc = 0;
      for (int o = 0; o < 7; ++o) acc += dy[n * 7 + o] * w[o * 13 + i];
      CHECK(dx[n * 13 + i] == acc);
    }
  std::vector<float> dx_only(39);  // input gradient only: the same dx without dw or db
  cpu::dense_backward<float>(s, x.data(), w.data(), dy.data(), dx_only.data(), nullptr, nullptr, GradMode::Overwrite);
  CHECK(dx_only == dx);
}

TEST_CASE("max-pool picks the first maximum and routes gradients exactly", "[exact][maxpool]") {
  // One 4x4 plane with ties: the first maximum in scan order wins.
  const float x[] = {1, 5, 2,  2,  //
                     5, 3, 2,  2,  //
                     0, 0, -1, 7,  //
                     0, 0, 7,  -2};
  for (int generic = 0; generic < 2; ++generic) {
    MaxPool2dShape s;
    s.h = s.w = 4, s.k = 2, s.stride = 2;
    float y[4];
    int32_t arg[4];
    if (generic) {  // same window through the generic path: 2x2 windows inside a 3x3 stride-1 grid
      MaxPool2dShape g = s;
      g.stride = 1;
      float yg[9];
      int32_t ag[9];
      cpu::maxpool2d_forward(g, x, yg, ag);
      CHECK(yg[0] == 5.0f);
      CHECK(ag[0] == 1);
      CHECK(ag[8] == 11);
      continue;
    }
    cpu::maxpool2d_forward(s, x, y, arg);
    CHECK(y[0] == 5.0f);
    CHECK(arg[0] == 1);  // (0,1) comes before (1,0)
    CHECK(y[1] == 2.0f);
    CHECK(arg[1] == 2);
    CHECK(y[2] == 0.0f);
    CHECK(arg[2] == 8);
    CHECK(y[3] == 7.0f);
    CHECK(arg[3] == 11);
    const float dy[] = {1, 2, 3, 4};
    float dx[16];
    cpu::maxpool2d_backward(s, arg, dy, dx, GradMode::Overwrite);
    const float want[] = {0, 1, 2, 0, 0, 0, 0, 0, 3, 0, 0, 4, 0, 0, 0, 0};
    for (int i = 0; i < 16; ++i) CHECK(dx[i] == want[i]);
  }
}
