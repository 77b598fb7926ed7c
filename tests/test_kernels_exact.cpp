// Tier 2: small integer-valued inputs, where every float sum is exact, against naive loops.
// Catches indexing bugs that tolerances would hide.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstring>
#include <limits>
#include <vector>

#include "conv_reference.h"
#include "kernels/conv2d.h"
#include "kernels/conv2d_grid_cpu.h"
#include "kernels/conv2d_phase_cpu.h"
#include "kernels/conv2d_unpadded_cpu.h"
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
                        // 8x8 images (a grid of 80 positions: one full block of 48 and one partly
                        // outside the image): 4 filters a block, then single filters; and the ResNet's
                        // last stage.
                        {3, 5, 8, 8, 6, 3, 1, 1},
                        {2, 64, 8, 8, 64, 3, 1, 1},
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

TEST_CASE("max-pool 2x2 stride 2: every width and height bit for bit as the scalar definition", "[exact][maxpool]") {
  // Ties, signed zeros and NaN included: the vector path must pick the same value (std::max's
  // operand order decides between +0 and -0 and around NaN) and the same first winner, and route
  // gradients as memset-then-add would (a -0 gradient lands as +0; Accumulate adds to winners only).
  auto bits = [](float v) {
    uint32_t u;
    std::memcpy(&u, &v, 4);
    return u;
  };
  const float values[] = {0.0f, -0.0f, 1.0f, 2.0f, 2.0f, -1.0f, std::numeric_limits<float>::quiet_NaN(), 3.0f};
  uint32_t state = 12345;
  auto next = [&] { return state = state * 1664525u + 1013904223u; };
  for (int h = 2; h <= 9; ++h)
    for (int w = 2; w <= 41; ++w) {
      MaxPool2dShape s;
      s.n = 1, s.c = 2, s.h = h, s.w = w;
      const int oh = s.oh(), ow = s.ow(), plane = h * w;
      std::vector<float> x(2 * plane), dy(2 * oh * ow), y(dy.size()), dx(x.size()), acc(x.size());
      for (auto& v : x) v = values[(next() >> 8) % 8];
      for (auto& v : dy) v = values[(next() >> 8) % 8];
      for (auto& v : acc) v = static_cast<float>(static_cast<int>((next() >> 8) % 7) - 3);
      std::vector<int32_t> arg(dy.size());
      cpu::maxpool2d_forward(s, x.data(), y.data(), arg.data());
      const std::vector<float> acc0 = acc;
      dx = acc;  // Overwrite must not read what was there
      cpu::maxpool2d_backward(s, arg.data(), dy.data(), dx.data(), GradMode::Overwrite);
      cpu::maxpool2d_backward(s, arg.data(), dy.data(), acc.data(), GradMode::Accumulate);
      std::vector<float> want_dx(x.size(), 0.0f), want_acc = acc0;
      size_t bad = 0;
      for (int c = 0; c < 2; ++c)
        for (int oy = 0; oy < oh; ++oy)
          for (int ox = 0; ox < ow; ++ox) {
            const float* p = x.data() + c * plane;
            const int i0 = 2 * oy * w + 2 * ox;
            const float a = p[i0], b = p[i0 + 1], cc = p[i0 + w], d = p[i0 + w + 1];
            const float m = std::max(std::max(a, b), std::max(cc, d));
            const int win = a == m ? i0 : b == m ? i0 + 1 : cc == m ? i0 + w : i0 + w + 1;
            const size_t o = (static_cast<size_t>(c) * oh + oy) * ow + ox;
            bad += bits(y[o]) != bits(m) || arg[o] != win;
            want_dx[c * plane + win] += dy[o];
            want_acc[c * plane + win] += dy[o];
          }
      for (size_t i = 0; i < x.size(); ++i) bad += bits(dx[i]) != bits(want_dx[i]) || bits(acc[i]) != bits(want_acc[i]);
      INFO("h " << h << " w " << w);
      CHECK(bad == 0);
    }
}

TEST_CASE("max-pool 2x2 stride 2 accumulates into the winners only", "[exact][maxpool]") {
  MaxPool2dShape s;
  s.h = 3, s.w = 5;  // odd sizes: the last row and column belong to no window
  const float x[] = {1, 4, 0, 0, 9,  //
                     3, 2, 0, 5, 9,  //
                     9, 9, 9, 9, 9};
  float y[2];
  int32_t arg[2];
  cpu::maxpool2d_forward(s, x, y, arg);
  CHECK(arg[0] == 1);
  CHECK(arg[1] == 8);
  const float dy[] = {10, 20};
  float dx[15];
  for (int i = 0; i < 15; ++i) dx[i] = static_cast<float>(i);
  cpu::maxpool2d_backward(s, arg, dy, dx, GradMode::Accumulate);
  const float want[] = {0, 11, 2, 3, 4, 5, 6, 7, 28, 9, 10, 11, 12, 13, 14};
  for (int i = 0; i < 15; ++i) CHECK(dx[i] == want[i]);
  cpu::maxpool2d_backward(s, arg, dy, dx, GradMode::Overwrite);
  const float fresh[] = {0, 10, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 15; ++i) CHECK(dx[i] == fresh[i]);
}

namespace {
// A 3x3, padding-1 convolution of n images [c, h, w] into f filters at the given stride.
Conv2dShape conv3x3(int n, int c, int h, int w, int f, int stride) {
  Conv2dShape s;
  s.n = n, s.c = c, s.h = h, s.w = w, s.f = f, s.kh = s.kw = 3, s.stride = stride, s.pad = 1;
  return s;
}

// Every image size up to `most` (every width at one height, every `step`-th elsewhere), each of the
// filter and input-channel counts, batch 1 at odd heights: checked exact, and the direct form
// applies to each. Returns the number of shapes.
template <class Applies>
int sweep_small(int stride, int most, int step, std::initializer_list<int> filters, std::initializer_list<int> channels,
                Applies&& applies) {
  int shapes = 0;
  for (int h = 1; h <= most; ++h)
    for (int w = 1; w <= most; w += (h == 5 || h == 6 ? 1 : step))
      for (int f : filters)
        for (int c : channels) {
          const Conv2dShape s = conv3x3(h % 2 ? 1 : 2, c, h, w, f, stride);
          REQUIRE(applies(s));
          check_exact(s);
          ++shapes;
        }
  return shapes;
}
}  // namespace

// The direct form of 3x3, stride-1, padding-1 convolutions (kernels/conv2d_grid_cpu.h): every
// small image size, filter counts that fill the 8-, 4- and 1-filter register blocks, one and several
// input channels, batch 1; then its fused ReLU and gradient accumulation against its plain form.
TEST_CASE("conv2d's direct 3x3 form is exact on integers for every small shape", "[exact][conv2d][conv_grid]") {
  CHECK(sweep_small(1, 9, 4, {2, 4, 6, 10, 14}, {1, 3}, cpu::conv_grid::applies) > 300);
  // Images 8 and more columns wide, where its own weight gradient runs (weight_gradient_applies).
  for (const Conv2dShape& s : {conv3x3(2, 3, 5, 17, 10, 1), conv3x3(1, 2, 1, 16, 2, 1), conv3x3(3, 5, 9, 20, 6, 1),
                               conv3x3(13, 4, 8, 8, 4, 1)}) {
    REQUIRE(cpu::conv_grid::weight_gradient_applies(s));
    check_exact(s);
  }
  check_exact(conv3x3(2, 16, 16, 16, 16, 1));  // a ResNet stage-2 layer: two blocks of 8 filters
}

// The direct form of 3x3, stride-2, padding-1 convolutions (kernels/conv2d_phase_cpu.h): odd and
// even image sizes (phases of unequal size), input-channel counts that fill the input gradient's 8-,
// 4- and 1-channel blocks, batch 1, the ResNet's two downsampling layers, and a block of 8x8 images.
TEST_CASE("conv2d's direct 3x3 stride-2 form is exact on integers for every small shape",
          "[exact][conv2d][conv_phase]") {
  CHECK(sweep_small(2, 10, 3, {2, 6, 10}, {1, 5, 13}, cpu::conv_phase::applies) > 300);
  // Outputs 16 and more columns wide, where its own weight gradient runs (weight_gradient_applies).
  for (const Conv2dShape& s : {conv3x3(2, 16, 32, 32, 32, 2), conv3x3(5, 3, 9, 31, 4, 2), conv3x3(3, 4, 7, 33, 6, 2)}) {
    REQUIRE(cpu::conv_phase::weight_gradient_applies(s));
    check_exact(s);
  }
  for (const Conv2dShape& s : {conv3x3(1, 32, 16, 16, 64, 2), conv3x3(13, 4, 16, 16, 4, 2)}) {
    REQUIRE(cpu::conv_phase::applies(s));
    check_exact(s);
  }
}

namespace {
// On small integers: the fused ReLU's gradients are the plain form's of the masked output gradient,
// and accumulating adds them to what was there.
void check_relu_and_accumulation(const Conv2dShape& s) {
  INFO(test::conv_shape_name(s));
  const int taps = s.kh * s.kw;
  const size_t nx = static_cast<size_t>(s.n) * s.c * s.h * s.w, ny = static_cast<size_t>(s.n) * s.f * s.oh() * s.ow();
  auto x = small_ints(nx, 5), w = small_ints(static_cast<size_t>(s.f) * s.c * taps, 6), b = small_ints(s.f, 7),
       dy = small_ints(ny, 8);
  std::vector<float> work(cpu::conv2d_workspace(s)), y(ny), y_relu(ny);
  cpu::conv2d_forward(s, x.data(), w.data(), b.data(), y.data(), work.data());
  Conv2dShape r = s;
  r.relu = true;
  cpu::conv2d_forward(r, x.data(), w.data(), b.data(), y_relu.data(), work.data());
  std::vector<float> masked(ny);
  for (size_t i = 0; i < ny; ++i) {
    CHECK(y_relu[i] == std::max(y[i], 0.0f));
    masked[i] = y_relu[i] > 0 ? dy[i] : 0.0f;
  }
  // With the ReLU fused, the gradients are the plain form's of the masked dy ...
  std::vector<float> dx(nx), dw(w.size()), db(s.f), dx_r(nx), dw_r(w.size()), db_r(s.f);
  cpu::conv2d_backward(s, x.data(), w.data(), y.data(), masked.data(), dx.data(), dw.data(), db.data(),
                       GradMode::Overwrite, work.data());
  cpu::conv2d_backward(r, x.data(), w.data(), y_relu.data(), dy.data(), dx_r.data(), dw_r.data(), db_r.data(),
                       GradMode::Overwrite, work.data());
  CHECK(dx_r == dx);
  CHECK(dw_r == dw);
  CHECK(db_r == db);
  // ... and accumulating adds them to what was there.
  std::vector<float> dx_a = small_ints(nx, 9), dw_a = small_ints(w.size(), 10), db_a = small_ints(s.f, 11);
  const std::vector<float> dx0 = dx_a, dw0 = dw_a, db0 = db_a;
  cpu::conv2d_backward(r, x.data(), w.data(), y_relu.data(), dy.data(), dx_a.data(), dw_a.data(), db_a.data(),
                       GradMode::Accumulate, work.data());
  for (size_t i = 0; i < nx; ++i) CHECK(dx_a[i] == dx0[i] + dx[i]);
  for (size_t i = 0; i < dw.size(); ++i) CHECK(dw_a[i] == dw0[i] + dw[i]);
  for (int i = 0; i < s.f; ++i) CHECK(db_a[i] == db0[i] + db[i]);
}
}  // namespace

TEST_CASE("conv2d's direct 3x3 forms: fused ReLU and accumulation", "[exact][conv2d][conv_grid][conv_phase]") {
  // Narrow images (the lowered weight gradient) and wide ones (the direct one) at each stride.
  const auto [stride, width] = GENERATE(table<int, int>({{1, 7}, {1, 18}, {2, 7}, {2, 33}}));
  const Conv2dShape s = conv3x3(3, 5, 11, width, 12, stride);
  REQUIRE((stride == 1 ? cpu::conv_grid::applies(s) : cpu::conv_phase::applies(s)));
  check_relu_and_accumulation(s);
}

// The direct products of small unpadded stride-1 convolutions (kernels/conv2d_unpadded_cpu.h):
// output planes of one to four vectors in rows 4, 8, 16 and 12 (no compiled width) wide, a 1x1
// kernel, channel counts that leave a short last group of lowered rows, batch 1, and a batch of three
// blocks (two threads, one of them with two); the digit model's second layer is in the list above.
TEST_CASE("conv2d's direct unpadded products are exact on integers", "[exact][conv2d][conv_unpadded]") {
  struct Case {
    int n, c, h, w, f, k, block;  // block: the lowered loop's images per block (conv2d_cpu.cpp)
  };
  const Case cases[] = {{5, 3, 8, 8, 32, 5, 5},   {2, 2, 8, 12, 64, 5, 2}, {1, 1, 7, 20, 32, 5, 1},
                        {3, 16, 8, 16, 32, 5, 3}, {4, 5, 4, 4, 32, 1, 4},  {23, 16, 8, 8, 32, 5, 10},
                        {1, 7, 12, 12, 96, 5, 1}};
  for (const Case& t : cases) {
    Conv2dShape s;
    s.n = t.n, s.c = t.c, s.h = t.h, s.w = t.w, s.f = t.f, s.kh = s.kw = t.k;
    INFO(test::conv_shape_name(s));
    REQUIRE(cpu::conv_unpadded::input_gradient_applies<float>(s));
    REQUIRE(cpu::conv_unpadded::weight_gradient_applies<float>(s, t.block * s.oh() * s.ow()));
    REQUIRE(cpu::conv_unpadded::forward_applies<float>(s));
    check_exact(s);
    check_relu_and_accumulation(s);
  }
  // Forward only (outputs that are no whole vectors): a last group of fewer than four positions.
  for (const Case& t : {Case{1, 3, 7, 7, 32, 5, 1}, Case{3, 2, 6, 5, 64, 3, 3}}) {
    Conv2dShape s;
    s.n = t.n, s.c = t.c, s.h = t.h, s.w = t.w, s.f = t.f, s.kh = s.kw = t.k;
    REQUIRE(cpu::conv_unpadded::forward_applies<float>(s));
    check_exact(s);
  }
}
