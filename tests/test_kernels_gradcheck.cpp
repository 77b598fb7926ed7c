// Tier 1: gradient checks of every CPU op in double precision.
#include "gradcheck.h"
#include "kernels/batchnorm.h"
#include "kernels/bias.h"
#include "kernels/conv2d.h"
#include "kernels/dense.h"
#include "kernels/dropout.h"
#include "kernels/flatten.h"
#include "kernels/global_avgpool.h"
#include "kernels/leaky_relu.h"
#include "kernels/maxpool2d.h"
#include "kernels/relu.h"
#include "kernels/softmax_xent.h"
#include <cstdint>

using namespace nullmark;
using namespace nullmark::test;

TEST_CASE("conv2d gradients (input, weights, bias)", "[gradcheck][conv2d]") {
  struct Case {
    int n, c, h, w, f, k, stride, pad;
  };
  // Shapes that are not multiples of anything: N = 1, C = 3, 7x7 images, strides and padding.
  const Case cases[] = {{2, 1, 6, 6, 2, 3, 1, 0},
                        {1, 3, 7, 7, 4, 3, 2, 1},
                        {3, 2, 5, 7, 3, 5, 1, 2},
                        {2, 3, 7, 7, 2, 1, 1, 0},
                        {1, 2, 8, 6, 3, 4, 3, 1},
                        // the direct 3x3 form (kernels/conv2d_grid_cpu.h): odd sizes, 8 + 2 filters
                        {1, 3, 5, 7, 10, 3, 1, 1},
                        {2, 2, 3, 1, 2, 3, 1, 1},
                        // the direct unpadded backward (kernels/conv2d_unpadded_cpu.h): 16 filters, 4x4 outputs
                        {3, 3, 6, 6, 16, 3, 1, 0}};
  for (int relu = 0; relu < 2; ++relu)
    for (const Case& t : cases) {
      Conv2dShape s;
      s.n = t.n, s.c = t.c, s.h = t.h, s.w = t.w, s.f = t.f, s.kh = s.kw = t.k, s.stride = t.stride, s.pad = t.pad;
      s.relu = relu;
      INFO("relu " << relu << " "
                   << "n" << t.n << " c" << t.c << " " << t.h << "x" << t.w << " f" << t.f << " k" << t.k << " s"
                   << t.stride << " p" << t.pad);
      auto x = random_vec(static_cast<size_t>(s.n) * s.c * s.h * s.w, 1);
      auto w = random_vec(static_cast<size_t>(s.f) * s.c * s.kh * s.kw, 2);
      auto b = random_vec(s.f, 3);
      const size_t ny = static_cast<size_t>(s.n) * s.f * s.oh() * s.ow();
      auto r = random_vec(ny, 4);
      std::vector<double> y(ny), work(cpu::conv2d_workspace(s));
      auto loss = [&] {
        cpu::conv2d_forward(s, x.data(), w.data(), b.data(), y.data(), work.data());
        return dot(y, r);
      };
      std::vector<double> dx(x.size()), dw(w.size()), db(b.size());
      loss();
      for (double v : y)
        if (relu && v > 0 && v < 1e-4) WARN("pre-activation near the ReLU kink; the check may be loose");
      cpu::conv2d_backward(s, x.data(), w.data(), y.data(), r.data(), dx.data(), dw.data(), db.data(),
                           GradMode::Overwrite, work.data());
      check_gradient("conv dx", x, dx, loss);
      check_gradient("conv dw", w, dw, loss);
      check_gradient("conv db", b, db, loss);
    }
}

TEST_CASE("conv2d backward accumulates when asked", "[gradcheck][conv2d]") {
  Conv2dShape s;
  s.n = 2, s.c = 2, s.h = 5, s.w = 5, s.f = 3, s.kh = s.kw = 3, s.pad = 1;
  auto x = random_vec(2 * 2 * 25, 5), w = random_vec(3 * 2 * 9, 6), dy = random_vec(2 * 3 * 25, 7);
  std::vector<double> work(cpu::conv2d_workspace(s)), dx(x.size()), dw(w.size()), db(3);
  cpu::conv2d_backward<double>(s, x.data(), w.data(), nullptr, dy.data(), dx.data(), dw.data(), db.data(),
                               GradMode::Overwrite, work.data());
  auto dx2 = dx, dw2 = dw, db2 = db;
  cpu::conv2d_backward<double>(s, x.data(), w.data(), nullptr, dy.data(), dx2.data(), dw2.data(), db2.data(),
                               GradMode::Accumulate, work.data());
  for (size_t i = 0; i < dx.size(); ++i) CHECK(dx2[i] == Approx(2 * dx[i]).margin(1e-12));
  for (size_t i = 0; i < dw.size(); ++i) CHECK(dw2[i] == Approx(2 * dw[i]).margin(1e-12));
  for (size_t i = 0; i < db.size(); ++i) CHECK(db2[i] == Approx(2 * db[i]).margin(1e-12));
}

TEST_CASE("dense gradients", "[gradcheck][dense]") {
  DenseShape s{3, 7, 5};
  auto x = random_vec(21, 1), w = random_vec(35, 2), b = random_vec(5, 3), r = random_vec(15, 4);
  std::vector<double> y(15);
  auto loss = [&] {
    cpu::dense_forward(s, x.data(), w.data(), b.data(), y.data());
    return dot(y, r);
  };
  std::vector<double> dx(21), dw(35), db(5);
  cpu::dense_backward(s, x.data(), w.data(), r.data(), dx.data(), dw.data(), db.data(), GradMode::Overwrite);
  check_gradient("dense dx", x, dx, loss);
  check_gradient("dense dw", w, dw, loss);
  check_gradient("dense db", b, db, loss);
}

TEST_CASE("bias gradients", "[gradcheck][bias]") {
  auto b = random_vec(3, 1), r = random_vec(2 * 3 * 4, 2), base = random_vec(24, 3);
  std::vector<double> y(24);
  auto loss = [&] {
    y = base;
    cpu::bias_add_forward(2, 3, 4, b.data(), y.data());
    return dot(y, r);
  };
  std::vector<double> db(3);
  cpu::bias_backward(2, 3, 4, r.data(), db.data(), GradMode::Overwrite);
  check_gradient("bias db", b, db, loss);
}

TEST_CASE("relu gradients", "[gradcheck][relu]") {
  auto x = random_vec(50, 1), r = random_vec(50, 2);
  for (auto& v : x)
    if (std::fabs(v) < 1e-3) v = 0.5;  // keep away from the kink
  std::vector<double> y(50), dx(50);
  auto loss = [&] {
    cpu::relu_forward(x.size(), x.data(), y.data());
    return dot(y, r);
  };
  loss();
  cpu::relu_backward(y.size(), y.data(), r.data(), dx.data(), GradMode::Overwrite);
  check_gradient("relu dx", x, dx, loss);
}

TEST_CASE("max-pool gradients (2x2 fast path, overlapping and odd windows)", "[gradcheck][maxpool]") {
  const int configs[][2] = {{2, 2}, {3, 2}, {3, 3}, {2, 1}};
  for (auto& kc : configs) {
    MaxPool2dShape s;
    s.n = 2, s.c = 3, s.h = 7, s.w = 7, s.k = kc[0], s.stride = kc[1];
    INFO("k" << s.k << " s" << s.stride);
    auto x = random_vec(2 * 3 * 49, 11);  // distinct values: no ties at the maximum
    const size_t ny = static_cast<size_t>(s.n) * s.c * s.oh() * s.ow();
    auto r = random_vec(ny, 12);
    std::vector<double> y(ny), dx(x.size());
    std::vector<int32_t> arg(ny);
    auto loss = [&] {
      cpu::maxpool2d_forward(s, x.data(), y.data(), arg.data());
      return dot(y, r);
    };
    loss();
    cpu::maxpool2d_backward(s, arg.data(), r.data(), dx.data(), GradMode::Overwrite);
    check_gradient("maxpool dx", x, dx, loss);
  }
}

TEST_CASE("global average pooling gradients", "[gradcheck][gap]") {
  auto x = random_vec(2 * 3 * 5 * 7, 1), r = random_vec(6, 2);
  std::vector<double> y(6), dx(x.size());
  auto loss = [&] {
    cpu::global_avgpool_forward(2, 3, 35, x.data(), y.data());
    return dot(y, r);
  };
  cpu::global_avgpool_backward(2, 3, 35, r.data(), dx.data(), GradMode::Overwrite);
  check_gradient("gap dx", x, dx, loss);
}

TEST_CASE("flatten gradients", "[gradcheck][flatten]") {
  auto x = random_vec(30, 1), r = random_vec(30, 2);
  std::vector<double> y(30), dx(30);
  auto loss = [&] {
    cpu::flatten_forward(30, x.data(), y.data());
    return dot(y, r);
  };
  cpu::flatten_backward(30, r.data(), dx.data(), GradMode::Overwrite);
  check_gradient("flatten dx", x, dx, loss);
}

TEST_CASE("dropout gradients and mask statistics", "[gradcheck][dropout]") {
  const float p = 0.3f;
  auto x = random_vec(400, 1), r = random_vec(400, 2);
  std::vector<double> y(400), dx(400);
  auto loss = [&] {
    cpu::dropout_forward(400, p, 7, 3, x.data(), y.data());
    return dot(y, r);
  };
  cpu::dropout_backward(400, p, 7, 3, r.data(), dx.data(), GradMode::Overwrite);
  check_gradient("dropout dx", x, dx, loss);
  size_t kept = 0;
  for (size_t i = 0; i < 100000; ++i) kept += cpu::dropout_keep(7, 3, i, p);
  CHECK(kept / 100000.0 == Approx(0.7).margin(0.01));
  // A different step gives a different mask.
  size_t same = 0;
  for (size_t i = 0; i < 1000; ++i) same += cpu::dropout_keep(7, 3, i, p) == cpu::dropout_keep(7, 4, i, p);
  CHECK(same < 900);
}

TEST_CASE("softmax cross-entropy gradients, with sample weights", "[gradcheck][softmax]") {
  const int n = 4, k = 5;
  auto z = random_vec(n * k, 1, -3, 3);
  const int32_t labels[] = {0, 4, 2, 2};
  const float weights[] = {1.0f, 0.5f, 2.0f, 0.25f};
  const float scale = 1.0f / n;
  auto loss = [&] {
    return scale * cpu::softmax_xent(n, k, z.data(), labels, weights, scale, (double*)nullptr, nullptr).loss_sum;
  };
  std::vector<double> dz(n * k);
  cpu::softmax_xent(n, k, z.data(), labels, weights, scale, dz.data(), nullptr);
  check_gradient("softmax-xent dz", z, dz, loss);
  // With label smoothing.
  auto smooth = [&] {
    return scale * cpu::softmax_xent(n, k, z.data(), labels, weights, scale, (double*)nullptr, nullptr, 0.1f).loss_sum;
  };
  cpu::softmax_xent(n, k, z.data(), labels, weights, scale, dz.data(), nullptr, 0.1f);
  check_gradient("smoothed softmax-xent dz", z, dz, smooth);
}

TEST_CASE("batch-norm gradients, training and evaluation statistics, with and without a fused ReLU",
          "[gradcheck][batchnorm]") {
  struct Case {
    int n, c, plane;
  };
  // Images (plane 7x7 = 49), flat features (plane 1), N = 1 with a plane, three channels; training
  // statistics from every sample, and from the first half only (stat_n: the other samples are
  // normalised by statistics they do not enter).
  for (const bool relu : {false, true})
  for (const Case& t : {Case{2, 3, 49}, Case{5, 4, 1}, Case{1, 3, 6}})
  for (const int stat_n : {0, t.n / 2}) {
    INFO("n" << t.n << " c" << t.c << " plane " << t.plane << (relu ? " relu" : "") << " stat_n " << stat_n);
    cpu::BatchNormShape s;
    s.n = t.n, s.c = t.c, s.plane = t.plane, s.eps = 1e-3, s.relu = relu, s.stat_n = stat_n;
    const size_t count = static_cast<size_t>(t.n) * t.c * t.plane;
    auto x = random_vec(count, 1, -2.0, 3.0), gamma = random_vec(t.c, 2, 0.5, 1.5), beta = random_vec(t.c, 3);
    auto r = random_vec(count, 4);
    std::vector<double> y(count), mean(t.c), invstd(t.c), rmean(t.c, 0.0), rvar(t.c, 1.0);
    auto train_loss = [&] {
      cpu::batchnorm_forward_train(s, x.data(), gamma.data(), beta.data(), y.data(), mean.data(), invstd.data(),
                                   rmean.data(), rvar.data());
      return dot(y, r);
    };
    train_loss();
    if (relu) CHECK(std::count(y.begin(), y.end(), 0.0) > 0);  // the ReLU cuts somewhere
    std::vector<double> dx(count), dgamma(t.c), dbeta(t.c);
    cpu::batchnorm_backward_train(s, x.data(), gamma.data(), mean.data(), invstd.data(), y.data(), r.data(), dx.data(),
                                  dgamma.data(), dbeta.data(), GradMode::Overwrite);
    check_gradient("bn train dx", x, dx, train_loss, 1e-6, 1e-5);
    check_gradient("bn train dgamma", gamma, dgamma, train_loss);
    check_gradient("bn train dbeta", beta, dbeta, train_loss);

    auto stats_mean = random_vec(t.c, 5), stats_var = random_vec(t.c, 6, 0.5, 2.0);
    auto eval_loss = [&] {
      cpu::batchnorm_forward_eval(s, x.data(), gamma.data(), beta.data(), stats_mean.data(), stats_var.data(),
                                  y.data());
      return dot(y, r);
    };
    eval_loss();
    cpu::batchnorm_backward_eval(s, x.data(), gamma.data(), stats_mean.data(), stats_var.data(), y.data(), r.data(),
                                 dx.data(), dgamma.data(), dbeta.data(), GradMode::Overwrite);
    check_gradient("bn eval dx", x, dx, eval_loss);
    check_gradient("bn eval dgamma", gamma, dgamma, eval_loss);
    check_gradient("bn eval dbeta", beta, dbeta, eval_loss);
  }
}

TEST_CASE("batch-norm statistics: normalised output and PyTorch's running update", "[batchnorm]") {
  cpu::BatchNormShape s;
  s.n = 4, s.c = 2, s.plane = 3, s.eps = 0.0, s.momentum = 0.25;
  std::vector<double> x(24);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>((i * 7) % 11);
  const std::vector<double> gamma{1.0, 2.0}, beta{0.0, -1.0};
  std::vector<double> y(24), mean(2), invstd(2), rmean{1.0, 1.0}, rvar{1.0, 1.0};
  cpu::batchnorm_forward_train(s, x.data(), gamma.data(), beta.data(), y.data(), mean.data(), invstd.data(),
                               rmean.data(), rvar.data());
  for (int ch = 0; ch < 2; ++ch) {
    double sum = 0, sq = 0, ysum = 0, ysq = 0;
    for (int i = 0; i < 4; ++i)
      for (int k = 0; k < 3; ++k) {
        const size_t at = (static_cast<size_t>(i) * 2 + ch) * 3 + k;
        sum += x[at];
        ysum += y[at];
      }
    const double m = sum / 12;
    for (int i = 0; i < 4; ++i)
      for (int k = 0; k < 3; ++k) {
        const size_t at = (static_cast<size_t>(i) * 2 + ch) * 3 + k;
        sq += (x[at] - m) * (x[at] - m);
        ysq += (y[at] - beta[ch]) * (y[at] - beta[ch]);
      }
    CHECK(mean[ch] == Approx(m));
    CHECK(ysum / 12 == Approx(beta[ch]).margin(1e-12));                // shifted to beta
    CHECK(ysq / 12 == Approx(gamma[ch] * gamma[ch]));                  // scaled to gamma^2
    CHECK(rmean[ch] == Approx(0.75 * 1.0 + 0.25 * m));                 // running mean
    CHECK(rvar[ch] == Approx(0.75 * 1.0 + 0.25 * sq / 11));            // unbiased variance
  }
}

TEST_CASE("batch-norm statistics from the first samples alone normalise the whole batch", "[batchnorm]") {
  // The first 2 of 5 samples give the statistics (a watermarked batch's clean part): the same
  // statistics, running update and outputs for them as a batch of those 2 alone, and the others
  // mapped by the same per-channel affine map.
  cpu::BatchNormShape s;
  s.n = 5, s.c = 2, s.plane = 3, s.eps = 1e-5, s.momentum = 0.25, s.stat_n = 2;
  std::vector<double> x(30);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>((i * 7) % 11) + (i >= 12 ? 20.0 : 0.0);
  const std::vector<double> gamma{1.0, 2.0}, beta{0.0, -1.0};
  std::vector<double> y(30), mean(2), invstd(2), rmean{1.0, 1.0}, rvar{1.0, 1.0};
  cpu::batchnorm_forward_train(s, x.data(), gamma.data(), beta.data(), y.data(), mean.data(), invstd.data(),
                               rmean.data(), rvar.data());
  cpu::BatchNormShape first = s;
  first.n = 2, first.stat_n = 0;
  std::vector<double> y2(12), mean2(2), invstd2(2), rmean2{1.0, 1.0}, rvar2{1.0, 1.0};
  cpu::batchnorm_forward_train(first, x.data(), gamma.data(), beta.data(), y2.data(), mean2.data(), invstd2.data(),
                               rmean2.data(), rvar2.data());
  CHECK(mean == mean2);
  CHECK(invstd == invstd2);
  CHECK(rmean == rmean2);
  CHECK(rvar == rvar2);
  CHECK(std::equal(y2.begin(), y2.end(), y.begin()));
  for (size_t at = 12; at < 30; ++at) {
    const int ch = static_cast<int>((at / 3) % 2);
    CHECK(y[at] == Approx(gamma[ch] * (x[at] - mean[ch]) * invstd[ch] + beta[ch]));
  }
  CHECK(mean[0] < 10.0);  // the shifted samples 2..4 did not enter it
}

TEST_CASE("leaky ReLU gradients, and its slope on negative inputs", "[gradcheck][leaky_relu]") {
  auto x = random_vec(200, 1), r = random_vec(200, 2);
  for (double& v : x)
    if (std::fabs(v) < 1e-3) v = 0.5;  // keep the finite differences away from the kink
  std::vector<double> y(200), dx(200);
  auto loss = [&] {
    cpu::leaky_relu_forward(200, 0.1f, x.data(), y.data());
    return dot(y, r);
  };
  loss();
  for (size_t i = 0; i < x.size(); ++i) CHECK(y[i] == Approx(x[i] > 0 ? x[i] : 0.1 * x[i]));
  cpu::leaky_relu_backward(200, 0.1f, y.data(), r.data(), dx.data(), GradMode::Overwrite);
  check_gradient("leaky relu dx", x, dx, loss);
}
