// The CPU's Winograd form of 3x3, stride-1, padding-1 convolutions (kernels/conv2d_winograd_cpu.h):
// exact on small integers (every transform value is a multiple of 1/4, every sum exact) against
// naive loops, for partial image groups, channel counts off the register block, every image size it
// takes up to 32x32; its fused ReLU, bias and accumulation bit for bit as the direct form's on
// integers; results independent of the thread count; gradients in double precision; and the
// `cpu_algorithm` key of conv2d layers and models.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "common/strict_yaml.h"
#include "common/threads.h"
#include "conv_reference.h"
#include "error_of.h"
#include "gradcheck.h"
#include "kernels/conv2d.h"
#include "kernels/conv2d_winograd_cpu.h"
#include "nn/network.h"

using namespace nullmark;
using nullmark::test::error_of;
using nullmark::test::small_ints;

namespace {
Conv2dShape winograd3x3(int n, int c, int h, int w, int f) {
  Conv2dShape s;
  s.n = n, s.c = c, s.h = h, s.w = w, s.f = f, s.kh = s.kw = 3, s.stride = 1, s.pad = 1, s.winograd = true;
  return s;
}

// Forward (with a bias), input gradient and weight gradient on small integers against naive loops
// (the weight gradient in this form where weight_gradient_applies, else the direct form's).
void check_exact(const Conv2dShape& s) {
  INFO(test::conv_shape_name(s));
  REQUIRE(cpu::conv2d_winograd_applies(s));
  const size_t plane = static_cast<size_t>(s.h) * s.w;
  const auto x = small_ints(s.n * s.c * plane, 1), w = small_ints(static_cast<size_t>(s.f) * s.c * 9, 2),
             b = small_ints(s.f, 3), dy = small_ints(s.n * s.f * plane, 4);
  std::vector<float> ref_y(dy.size()), ref_dx(x.size(), 0.0f), ref_dw(w.size(), 0.0f);
  for (int n = 0; n < s.n; ++n)
    for (int f = 0; f < s.f; ++f)
      for (int oy = 0; oy < s.h; ++oy)
        for (int ox = 0; ox < s.w; ++ox) {
          const size_t o = (static_cast<size_t>(n) * s.f + f) * plane + oy * s.w + ox;
          float acc = b[f];
          for (int c = 0; c < s.c; ++c)
            for (int i = 0; i < 3; ++i)
              for (int j = 0; j < 3; ++j) {
                const int iy = oy + i - 1, ix = ox + j - 1;
                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                const size_t in = (static_cast<size_t>(n) * s.c + c) * plane + iy * s.w + ix;
                const float wv = w[(static_cast<size_t>(f) * s.c + c) * 9 + i * 3 + j];
                acc += wv * x[in];
                ref_dx[in] += wv * dy[o];
                ref_dw[(static_cast<size_t>(f) * s.c + c) * 9 + i * 3 + j] += dy[o] * x[in];
              }
          ref_y[o] = acc;
        }
  std::vector<float> y(dy.size()), dx(x.size()), work(cpu::conv2d_workspace(s));
  cpu::conv2d_forward(s, x.data(), w.data(), b.data(), y.data(), work.data());
  CHECK(y == ref_y);
  cpu::conv2d_backward<float>(s, x.data(), w.data(), y.data(), dy.data(), dx.data(), nullptr, nullptr,
                              GradMode::Overwrite, work.data());
  CHECK(dx == ref_dx);
  std::vector<float> dw(w.size(), -1.0f);
  cpu::conv2d_backward<float>(s, x.data(), w.data(), y.data(), dy.data(), nullptr, dw.data(), nullptr,
                              GradMode::Overwrite, work.data());
  CHECK(dw == ref_dw);
}
}  // namespace

TEST_CASE("conv2d's Winograd form is exact on integers", "[exact][conv2d][winograd]") {
  // One image (15 idle lanes), 17 (a full group and one of one image), channel and filter counts
  // that are not multiples of the 4-channel register block, the smallest image (2x8) and every
  // ResNet stage.
  for (const Conv2dShape& s : {winograd3x3(1, 16, 2, 8, 16), winograd3x3(17, 16, 8, 8, 18),
                               winograd3x3(3, 19, 6, 16, 16), winograd3x3(2, 16, 32, 32, 17),
                               winograd3x3(5, 32, 16, 16, 32), winograd3x3(2, 64, 8, 8, 64),
                               winograd3x3(4, 16, 10, 24, 20)})
    check_exact(s);
  // Its weight gradient: a partial second group, filter and channel counts off the 4 x 4 register
  // block, a 40-wide image.
  for (const Conv2dShape& s : {winograd3x3(2, 16, 32, 32, 17), winograd3x3(17, 16, 4, 32, 16),
                               winograd3x3(1, 18, 2, 40, 18), winograd3x3(3, 16, 6, 32, 32)}) {
    REQUIRE(cpu::conv_winograd::weight_gradient_applies(s));
    check_exact(s);
  }
  CHECK(cpu::conv_winograd::weight_gradient_applies(winograd3x3(1, 64, 8, 8, 64)));
  CHECK_FALSE(cpu::conv_winograd::weight_gradient_applies(winograd3x3(1, 64, 8, 8, 65)));  // 4160 pairs
  // Every size it takes up to 16x16.
  int shapes = 0;
  for (int h = 2; h <= 16; h += 2)
    for (int w = 8; w <= 16; w += 8) {
      check_exact(winograd3x3(h == 6 ? 18 : 2, 16, h, w, 16));
      ++shapes;
    }
  CHECK(shapes == 16);
}

TEST_CASE("conv2d's Winograd form: only 3x3, stride 1, padding 1, even heights, widths of eights, 16 channels",
          "[conv2d][winograd]") {
  CHECK(cpu::conv2d_winograd_applies(winograd3x3(1, 16, 2, 8, 16)));
  Conv2dShape s = winograd3x3(1, 16, 8, 8, 16);
  s.stride = 2;
  CHECK_FALSE(cpu::conv2d_winograd_applies(s));
  s = winograd3x3(1, 16, 8, 8, 16);
  s.kh = s.kw = 5;
  s.pad = 2;
  CHECK_FALSE(cpu::conv2d_winograd_applies(s));
  CHECK_FALSE(cpu::conv2d_winograd_applies(winograd3x3(1, 16, 7, 8, 16)));   // odd height
  CHECK_FALSE(cpu::conv2d_winograd_applies(winograd3x3(1, 16, 8, 12, 16)));  // width not a multiple of 8
  CHECK_FALSE(cpu::conv2d_winograd_applies(winograd3x3(1, 3, 8, 8, 16)));    // the input layer's 3 channels
  CHECK_FALSE(cpu::conv2d_winograd_applies(winograd3x3(1, 16, 8, 8, 8)));
}

TEST_CASE("conv2d's Winograd form: bias, fused ReLU and accumulation as the direct form's", "[exact][conv2d][winograd]") {
  const int width = GENERATE(16, 32);
  Conv2dShape direct = winograd3x3(17, 16, 8, width, 18);
  direct.winograd = false;
  direct.relu = true;
  Conv2dShape wino = direct;
  wino.winograd = true;
  REQUIRE(cpu::conv_winograd::weight_gradient_applies(wino));
  const size_t nx = static_cast<size_t>(direct.n) * direct.c * 8 * width,
               ny = static_cast<size_t>(direct.n) * direct.f * 8 * width;
  const auto x = small_ints(nx, 5), w = small_ints(static_cast<size_t>(direct.f) * direct.c * 9, 6),
             b = small_ints(direct.f, 7), dy = small_ints(ny, 8);
  std::vector<float> work(std::max(cpu::conv2d_workspace(direct), cpu::conv2d_workspace(wino)));
  std::vector<float> y_d(ny), y_w(ny);
  cpu::conv2d_forward(direct, x.data(), w.data(), b.data(), y_d.data(), work.data());
  cpu::conv2d_forward(wino, x.data(), w.data(), b.data(), y_w.data(), work.data());
  CHECK(y_w == y_d);
  size_t zeros = 0;
  for (float v : y_w) zeros += v == 0.0f;
  CHECK(zeros > ny / 4);  // the ReLU masks a good part of the gradient
  // Accumulating into the same start values: the ReLU-masked input gradient added, weight and bias
  // gradients (asked for together: the direct form's in both) alike.
  std::vector<float> dx_d = small_ints(nx, 9), dw_d = small_ints(w.size(), 10), db_d = small_ints(direct.f, 11);
  std::vector<float> dx_w = dx_d, dw_w = dw_d, db_w = db_d;
  cpu::conv2d_backward(direct, x.data(), w.data(), y_d.data(), dy.data(), dx_d.data(), dw_d.data(), db_d.data(),
                       GradMode::Accumulate, work.data());
  cpu::conv2d_backward(wino, x.data(), w.data(), y_w.data(), dy.data(), dx_w.data(), dw_w.data(), db_w.data(),
                       GradMode::Accumulate, work.data());
  CHECK(dx_w == dx_d);
  CHECK(dw_w == dw_d);
  CHECK(db_w == db_d);
  // Without the bias gradient (a ResNet's layers), the weight gradient in this form where it applies.
  std::vector<float> dw_d2 = small_ints(w.size(), 10), dw_w2 = dw_d2;
  cpu::conv2d_backward<float>(direct, x.data(), w.data(), y_d.data(), dy.data(), nullptr, dw_d2.data(), nullptr,
                              GradMode::Accumulate, work.data());
  cpu::conv2d_backward<float>(wino, x.data(), w.data(), y_w.data(), dy.data(), nullptr, dw_w2.data(), nullptr,
                              GradMode::Accumulate, work.data());
  CHECK(dw_w2 == dw_d2);
}

TEST_CASE("conv2d's Winograd form gives the same bits on any number of threads", "[determinism][conv2d][winograd]") {
  const Conv2dShape s = winograd3x3(40, 16, 8, 16, 16);
  const size_t nx = static_cast<size_t>(s.n) * s.c * 8 * 16;
  const auto x = test::random_floats(nx, 12), w = test::random_floats(static_cast<size_t>(s.f) * s.c * 9, 13),
             dy = test::random_floats(nx, 14);
  auto run = [&](int threads) {
    set_threads(threads);
    std::vector<float> y(nx), dx(nx), work(cpu::conv2d_workspace(s));
    cpu::conv2d_forward<float>(s, x.data(), w.data(), nullptr, y.data(), work.data());
    cpu::conv2d_backward<float>(s, x.data(), w.data(), y.data(), dy.data(), dx.data(), nullptr, nullptr,
                                GradMode::Overwrite, work.data());
    y.insert(y.end(), dx.begin(), dx.end());
    return y;
  };
  const std::vector<float> one = run(1), two = run(2), three = run(3);
  set_threads(0);
  CHECK(one == two);
  CHECK(one == three);
  // Random values: the rounding differs from the direct form's in the last bits only.
  Conv2dShape direct = s;
  direct.winograd = false;
  std::vector<float> y(nx), work(cpu::conv2d_workspace(direct));
  cpu::conv2d_forward<float>(direct, x.data(), w.data(), nullptr, y.data(), work.data());
  double worst = 0;
  for (size_t i = 0; i < nx; ++i) worst = std::max(worst, static_cast<double>(std::fabs(y[i] - one[i])));
  CHECK(worst > 0);
  CHECK(worst < 1e-5);
}

TEST_CASE("conv2d's Winograd form: gradients in double precision", "[gradcheck][conv2d][winograd]") {
  // Nine images (double precision groups eight: a full group and one of one image), 16 channels
  // into 18 filters (a 4-filter block short), with and without the fused ReLU; and 32 wide with 16
  // filters, where the weight gradient is asked for without the bias gradient, so it is this form's too.
  // Every third value is perturbed: each perturbation runs the whole convolution again.
  for (int relu = 0; relu < 4; ++relu) {
    Conv2dShape s = relu < 2 ? winograd3x3(9, 16, 2, 8, 18) : winograd3x3(3, 16, 2, 32, 16);
    s.relu = relu % 2;
    INFO("relu " << s.relu << " width " << s.w);
    REQUIRE(cpu::conv2d_winograd_applies(s));
    auto x = test::random_vec(static_cast<size_t>(s.n) * s.c * s.h * s.w, 1);
    auto w = test::random_vec(static_cast<size_t>(s.f) * s.c * 9, 2);
    auto b = test::random_vec(s.f, 3);
    const size_t ny = static_cast<size_t>(s.n) * s.f * s.h * s.w;
    auto r = test::random_vec(ny, 4);
    std::vector<double> y(ny), work(cpu::conv2d_workspace(s));
    auto loss = [&] {
      cpu::conv2d_forward(s, x.data(), w.data(), b.data(), y.data(), work.data());
      return test::dot(y, r);
    };
    std::vector<double> dx(x.size()), dw(w.size()), db(b.size());
    loss();
    const bool wide = s.w == 32;
    REQUIRE(cpu::conv_winograd::weight_gradient_applies(s));
    cpu::conv2d_backward(s, x.data(), w.data(), y.data(), r.data(), dx.data(), dw.data(), wide ? nullptr : db.data(),
                         GradMode::Overwrite, work.data());
    test::check_gradient_at("winograd dx", x.data(), dx.data(), x.size(), 3, loss, 1e-6, 1e-6);
    test::check_gradient_at("winograd dw", w.data(), dw.data(), w.size(), 3, loss, 1e-6, 1e-6);
    if (!wide) test::check_gradient("winograd db", b, db, loss);
  }
}

TEST_CASE("cpu_algorithm: a conv2d layer's choice, the model's default, and their errors", "[config][network][winograd]") {
  auto build = [](const std::string& text) {
    ConfigMap root = ConfigMap::load_string(text, "m.yaml");
    return Network::from_config(root.section("model"), Shape{3, 8, 16}, 4);
  };
  const std::string head = "{type: conv2d, filters: 16, kernel: 3, padding: 1}";
  const std::string body = "{type: conv2d, filters: 16, kernel: 3, padding: 1}, {type: global_avgpool}, {type: dense, units: 4}]}";
  // The model's default reaches the layers where it applies; the 3-channel input layer keeps the direct form.
  Network net = build("model: {cpu_algorithm: winograd, layers: [" + head + ", " + body);
  CHECK_THAT(net.summary("m"), Catch::Contains("winograd"));
  const YAML::Node layers = net.chain().config();
  CHECK_FALSE(layers[0]["cpu_algorithm"].IsDefined());
  CHECK(layers[1]["cpu_algorithm"].as<std::string>() == "winograd");
  // Without it, configs stay as they were: no key written, in the layers or in the resolved model
  // section (which --resume compares with a checkpoint's, so checkpoints from before the key resume).
  Network plain = build("model: {layers: [" + head + ", " + body);
  CHECK_FALSE(plain.chain().config()[1]["cpu_algorithm"].IsDefined());
  {
    ConfigMap root = ConfigMap::load_string("model: {layers: [" + head + ", " + body, "m.yaml");
    ConfigMap model = root.section("model");
    Network::from_config(model, Shape{3, 8, 16}, 4);
    CHECK_FALSE(root.resolved()["model"]["cpu_algorithm"].IsDefined());
    CHECK(root.resolved()["model"]["layers"].IsDefined());
  }
  // A layer's own choice wins over the model's.
  Network mixed = build("model: {cpu_algorithm: winograd, layers: [" + head +
                        ", {type: conv2d, filters: 16, kernel: 3, padding: 1, cpu_algorithm: direct}, "
                        "{type: global_avgpool}, {type: dense, units: 4}]}");
  CHECK_FALSE(mixed.chain().config()[1]["cpu_algorithm"].IsDefined());
  // Named on a layer it cannot compute: the layer and the rule.
  CHECK_THAT(error_of([&] {
               build("model: {layers: [{type: conv2d, filters: 16, kernel: 3, padding: 1, cpu_algorithm: winograd}, " +
                     body);
             }),
             Catch::Contains("cpu_algorithm: winograd needs") && Catch::Contains("16 input and output channels") &&
                 Catch::Contains("3x8x16"));
  CHECK_THAT(error_of([&] { build("model: {cpu_algorithm: fast, layers: [" + head + ", " + body); }),
             Catch::Contains("model.cpu_algorithm") && Catch::Contains("direct, winograd"));
  CHECK_THAT(error_of([&] {
               build("model: {layers: [{type: conv2d, filters: 16, kernel: 3, padding: 1, cpu_algorithm: 3}, " + body);
             }),
             Catch::Contains("cpu_algorithm"));
}
