// Tier 2: every CUDA kernel against its CPU twin, on shapes that exercise every launch branch
// (tails that are not multiples of the 64 x 64 x 16 GEMM tile, N = 1, C = 3, 7 x 7 images, strides,
// padding, overlapping pools), with TF32 off. Tolerances: relative 1e-4 (floor 1e-4 absolute) for
// sums of products, exact for data movement, masks, stamping and small-integer products. Plus
// training on both devices and determinism on the GPU. Built only with the CUDA backend; run only
// where a GPU is visible (CTest label "cuda").
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>

#include "common/sha256.h"
#include "conv_reference.h"
#include "cuda_check.h"
#include "cuda_test_data.h"
#include "gradcheck.h"
#include "kernels/augment.h"
#include "kernels/batchnorm.h"
#include "kernels/bias.h"
#include "kernels/conv2d.h"
#include "kernels/cuda/conv_cudnn.h"
#include "kernels/cuda/conv_direct.h"
#include "kernels/cuda/device.h"
#include "kernels/cuda/runtime.h"
#include "kernels/dense.h"
#include "kernels/dropout.h"
#include "kernels/elementwise.h"
#include "kernels/flatten.h"
#include "kernels/global_avgpool.h"
#include "kernels/leaky_relu.h"
#include "kernels/maxpool2d.h"
#include "kernels/optimizers.h"
#include "kernels/relu.h"
#include "kernels/softmax_xent.h"
#include "kernels/watermark_batch.h"
#include "nn/device_array.h"
#include "watermark/derivation.h"
#include "watermark/keys.h"
#include "watermark_golden.h"

using namespace nullmark;
using nullmark::test::close;
using nullmark::test::GpuCheck;
using nullmark::test::random_floats;
using nullmark::test::same;
using nullmark::test::small_ints;
using nullmark::test::up;
using nullmark::test::zeros;

TEST_CASE("conv2d: CPU and both CUDA implementations agree", "[cuda][conv2d]") {
  GpuCheck gpu;
  struct Case {
    int n, c, h, w, f, k, stride, pad;
  };
  const Case cases[] = {{1, 3, 7, 7, 5, 3, 1, 1},
                        {2, 1, 28, 28, 6, 5, 1, 0},
                        {3, 3, 7, 7, 4, 3, 2, 1},
                        {2, 16, 9, 11, 70, 3, 1, 1},
                        {1, 4, 8, 6, 3, 1, 1, 0},
                        {4, 8, 13, 13, 65, 3, 2, 0},
                        {130, 3, 7, 7, 2, 3, 1, 0},
                        // The direct kernels' other launch shapes: bands of rows (stride 1 and 2), the
                        // forward pass by channel chunks (where its bank would need slices), the input
                        // gradient in channel slices and in bands at stride 2 (kernels/cuda/conv_direct.h,
                        // conv_direct_chunked.h; test_cuda_conv_direct.cpp runs each forward form alone).
                        {2, 16, 32, 32, 16, 3, 1, 1},
                        {2, 16, 30, 32, 32, 3, 2, 1},
                        {2, 64, 6, 6, 70, 3, 1, 1},
                        {2, 70, 6, 6, 64, 3, 1, 1},
                        {2, 8, 63, 20, 64, 3, 2, 1}};
  for (int relu = 0; relu < 2; ++relu)
    for (const Case& t : cases)
      for (KernelImpl impl : {KernelImpl::Native, KernelImpl::Gemm, KernelImpl::Direct, KernelImpl::Library}) {
        if (impl == KernelImpl::Library && !cuda::cudnn_available()) {
          WARN("built without cuDNN: only the native convolution is compared");
          continue;
        }
        Conv2dShape s;
        s.n = t.n, s.c = t.c, s.h = t.h, s.w = t.w, s.f = t.f, s.kh = s.kw = t.k, s.stride = t.stride, s.pad = t.pad;
        s.relu = relu;
        // Every case fits the direct kernels' shared memory on an A100 or newer.
        if (impl == KernelImpl::Direct) {
          REQUIRE(cuda::conv2d_direct_forward_fits(s, SIZE_MAX));
          REQUIRE(cuda::conv2d_direct_input_grad_fits(s, SIZE_MAX));
          REQUIRE(cuda::conv2d_direct_weight_grad_fits(s, SIZE_MAX));
        }
        INFO("impl " << conv_impl_name(impl) << " relu " << relu << " n" << t.n << " c" << t.c << " " << t.h << "x"
                     << t.w << " f" << t.f << " k" << t.k << " s" << t.stride << " p" << t.pad);
        const test::ConvReference ref(s);
        const std::vector<float>&x = ref.x, &w = ref.w, &b = ref.b, &dy = ref.dy, &y = ref.y, &dx = ref.dx,
              &dw = ref.dw, &db = ref.db;
        const size_t nx = x.size(), nw = w.size(), ny = y.size();
        auto gx = up(x), gw = up(w), gb = up(b), gdy = up(dy);
        auto gy = zeros<float>(ny), gdx = zeros<float>(nx), gdw = zeros<float>(nw), gdb = zeros<float>(s.f),
             gwork = zeros<float>(cuda::conv2d_workspace(test::gpu(), s, impl));
        cuda::conv2d_forward(test::gpu(), s, gx.data(), gw.data(), gb.data(), gy.data(), gwork.data(), impl);
        cuda::conv2d_backward(test::gpu(), s, gx.data(), gw.data(), gy.data(), gdy.data(), gdx.data(), gdw.data(), gdb.data(),
                              GradMode::Overwrite, gwork.data(), impl);
        close("y", y, gy.download());
        close("dx", dx, gdx.download());
        // cuDNN's weight-gradient algorithms (split reductions, FFT, Winograd) round differently from
        // a direct sum: 2e-4 relative at batch 130 on an H200; 1e-3 still catches a wrong term.
        const double dw_tol = impl == KernelImpl::Library ? 1e-3 : 1e-4;
        close("dw", dw, gdw.download(), dw_tol);
        close("db", db, gdb.download());
        // Accumulate mode adds onto what is there.
        cuda::conv2d_backward(test::gpu(), s, gx.data(), gw.data(), gy.data(), gdy.data(), gdx.data(), gdw.data(), gdb.data(),
                              GradMode::Accumulate, gwork.data(), impl);
        std::vector<float> twice(dw);
        for (float& v : twice) v *= 2;
        close("dw accumulated", twice, gdw.download(), dw_tol);
        // Input gradient only (Neural Cleanse): the same dx without weight or bias gradients.
        auto gdx_only = zeros<float>(nx);
        cuda::conv2d_backward(test::gpu(), s, gx.data(), gw.data(), gy.data(), gdy.data(), gdx_only.data(), nullptr, nullptr,
                              GradMode::Overwrite, gwork.data(), impl);
        close("dx without dw", dx, gdx_only.download());
      }
}

TEST_CASE("conv2d and dense: exact on small integers", "[cuda][conv2d][dense]") {
  GpuCheck gpu;
  Conv2dShape s;
  s.n = 3, s.c = 3, s.h = 7, s.w = 9, s.f = 67, s.kh = s.kw = 3, s.pad = 1;
  const size_t nx = static_cast<size_t>(s.n) * s.c * s.h * s.w, nw = static_cast<size_t>(s.f) * s.col_rows();
  const auto x = small_ints(nx, 1), w = small_ints(nw, 2);
  std::vector<float> y(static_cast<size_t>(s.n) * s.f * s.oh() * s.ow()), work(cpu::conv2d_workspace(s));
  cpu::conv2d_forward(s, x.data(), w.data(), static_cast<const float*>(nullptr), y.data(), work.data());
  auto gx = up(x), gw = up(w);
  auto gy = zeros<float>(y.size()), gwork = zeros<float>(cuda::conv2d_workspace(test::gpu(), s));
  for (KernelImpl impl : {KernelImpl::Gemm, KernelImpl::Direct}) {
    INFO("impl " << conv_impl_name(impl));
    cuda::conv2d_forward(test::gpu(), s, gx.data(), gw.data(), nullptr, gy.data(), gwork.data(), impl);
    same("conv y", y, gy.download());
  }
  // Gradients of small integers are exact too, in both native forms (every partial sum is an integer
  // far below 2^24, so the order of the additions cannot matter).
  const auto dy = small_ints(y.size(), 5);
  std::vector<float> dx(nx), dw(nw), db(s.f);
  cpu::conv2d_backward(s, x.data(), w.data(), y.data(), dy.data(), dx.data(), dw.data(), db.data(), GradMode::Overwrite,
                       work.data());
  for (KernelImpl impl : {KernelImpl::Gemm, KernelImpl::Direct}) {
    INFO("impl " << conv_impl_name(impl));
    auto gdy = up(dy), gdx = zeros<float>(nx), gdw = zeros<float>(nw), gdb = zeros<float>(s.f),
         gw2 = zeros<float>(cuda::conv2d_workspace(test::gpu(), s, impl));
    cuda::conv2d_backward(test::gpu(), s, gx.data(), gw.data(), gy.data(), gdy.data(), gdx.data(), gdw.data(), gdb.data(),
                          GradMode::Overwrite, gw2.data(), impl);
    same("conv dx", dx, gdx.download());
    same("conv dw", dw, gdw.download());
    same("conv db", db, gdb.download());
  }

  const DenseShape d{5, 70, 33};
  const auto dxv = small_ints(5 * 70, 3), dwv = small_ints(33 * 70, 4);
  std::vector<float> dyv(5 * 33);
  cpu::dense_forward(d, dxv.data(), dwv.data(), static_cast<const float*>(nullptr), dyv.data());
  for (KernelImpl impl : {KernelImpl::Native, KernelImpl::Library}) {
    auto a = up(dxv), b = up(dwv);
    auto out = zeros<float>(dyv.size());
    cuda::dense_forward(test::gpu(), d, a.data(), b.data(), nullptr, out.data(), impl);
    same("dense y", dyv, out.download());
  }
}

TEST_CASE("conv2d: both native forms exact on integers for every small shape", "[cuda][conv2d]") {
  // The sweep of tests/test_kernels_exact.cpp (tests/conv_reference.h): every way a kernel overhangs
  // an edge, on the GPU, against the CPU bit for bit.
  GpuCheck gpu;
  const int shapes = test::for_each_small_conv_shape([&](Conv2dShape s) {
    s.relu = (s.h + s.w) % 2 == 0;
    INFO(test::conv_shape_name(s));
    const test::ConvReference ref(s, test::ConvValues::SmallInts);
    auto gx = up(ref.x), gw = up(ref.w), gb = up(ref.b), gdy = up(ref.dy);
    for (KernelImpl impl : {KernelImpl::Gemm, KernelImpl::Direct}) {
      INFO("impl " << conv_impl_name(impl));
      auto gy = zeros<float>(ref.y.size()), gdx = zeros<float>(ref.x.size()), gdw = zeros<float>(ref.w.size()),
           gdb = zeros<float>(s.f), gwork = zeros<float>(cuda::conv2d_workspace(test::gpu(), s, impl));
      cuda::conv2d_forward(test::gpu(), s, gx.data(), gw.data(), gb.data(), gy.data(), gwork.data(), impl);
      same("y", ref.y, gy.download());
      cuda::conv2d_backward(test::gpu(), s, gx.data(), gw.data(), gy.data(), gdy.data(), gdx.data(), gdw.data(), gdb.data(),
                            GradMode::Overwrite, gwork.data(), impl);
      same("dx", ref.dx, gdx.download());
      same("dw", ref.dw, gdw.download());
      same("db", ref.db, gdb.download());
    }
  });
  CHECK(shapes > 1000);
}

TEST_CASE("dense: both CUDA implementations agree with the CPU", "[cuda][dense]") {
  GpuCheck gpu;
  for (const DenseShape& d :
       {DenseShape{1, 3, 10}, DenseShape{128, 784, 10}, DenseShape{67, 65, 129}, DenseShape{130, 1024, 43}})
    for (KernelImpl impl : {KernelImpl::Native, KernelImpl::Library}) {
      INFO("n" << d.n << " in" << d.in << " out" << d.out << (impl == KernelImpl::Native ? " native" : " cublas"));
      const auto x = random_floats(static_cast<size_t>(d.n) * d.in, 1),
                 w = random_floats(static_cast<size_t>(d.out) * d.in, 2), b = random_floats(d.out, 3),
                 dy = random_floats(static_cast<size_t>(d.n) * d.out, 4);
      std::vector<float> y(dy.size()), dx(x.size()), dw(w.size()), db(d.out);
      cpu::dense_forward(d, x.data(), w.data(), b.data(), y.data());
      cpu::dense_backward(d, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data(), GradMode::Overwrite);
      auto gx = up(x), gw = up(w), gb = up(b), gdy = up(dy);
      auto gy = zeros<float>(y.size()), gdx = zeros<float>(dx.size()), gdw = zeros<float>(dw.size()),
           gdb = zeros<float>(d.out);
      cuda::dense_forward(test::gpu(), d, gx.data(), gw.data(), gb.data(), gy.data(), impl);
      cuda::dense_backward(test::gpu(), d, gx.data(), gw.data(), gdy.data(), gdx.data(), gdw.data(), gdb.data(), GradMode::Overwrite,
                           impl);
      close("y", y, gy.download());
      close("dx", dx, gdx.download());
      close("dw", dw, gdw.download());
      close("db", db, gdb.download());
      auto gdx_only = zeros<float>(dx.size());  // input gradient only
      cuda::dense_backward(test::gpu(), d, gx.data(), gw.data(), gdy.data(), gdx_only.data(), nullptr, nullptr, GradMode::Overwrite,
                           impl);
      close("dx without dw", dx, gdx_only.download());
    }
}

TEST_CASE("elementwise kernels: bias, ReLU, flatten, dropout, sums, pooling", "[cuda][elementwise]") {
  GpuCheck gpu;
  const int n = 3, c = 5, p = 49;
  const size_t count = static_cast<size_t>(n) * c * p;
  const auto x = random_floats(count, 1), b = random_floats(c, 2), dy = random_floats(count, 3);
  auto gx = up(x), gb = up(b), gdy = up(dy);
  {  // bias
    std::vector<float> y(x);
    cpu::bias_add_forward(n, c, p, b.data(), y.data());
    auto gy = up(x);
    cuda::bias_add_forward(test::gpu(), n, c, p, gb.data(), gy.data());
    same("bias y", y, gy.download());
    std::vector<float> db(c);
    cpu::bias_backward(n, c, p, dy.data(), db.data(), GradMode::Overwrite);
    auto gdb = zeros<float>(c);
    cuda::bias_backward(test::gpu(), n, c, p, gdy.data(), gdb.data(), GradMode::Overwrite);
    close("db", db, gdb.download());
  }
  {  // ReLU, flatten, dropout, add, accumulate: exact
    std::vector<float> y(count), dx(count);
    auto gy = zeros<float>(count), gdx = zeros<float>(count);
    cpu::relu_forward(count, x.data(), y.data());
    cuda::relu_forward(test::gpu(), count, gx.data(), gy.data());
    same("relu y", y, gy.download());
    cpu::relu_backward(count, y.data(), dy.data(), dx.data(), GradMode::Overwrite);
    cuda::relu_backward(test::gpu(), count, gy.data(), gdy.data(), gdx.data(), GradMode::Overwrite);
    same("relu dx", dx, gdx.download());
    cpu::dropout_forward(count, 0.3f, 11, 5, x.data(), y.data());
    cuda::dropout_forward(test::gpu(), count, 0.3f, 11, 5, gx.data(), gy.data());
    same("dropout y (the same mask)", y, gy.download());
    cpu::dropout_backward(count, 0.3f, 11, 5, dy.data(), dx.data(), GradMode::Overwrite);
    cuda::dropout_backward(test::gpu(), count, 0.3f, 11, 5, gdy.data(), gdx.data(), GradMode::Overwrite);
    same("dropout dx", dx, gdx.download());
    cpu::leaky_relu_forward(count, 0.1f, x.data(), y.data());
    cuda::leaky_relu_forward(test::gpu(), count, 0.1f, gx.data(), gy.data());
    same("leaky relu y", y, gy.download());
    cpu::leaky_relu_backward(count, 0.1f, y.data(), dy.data(), dx.data(), GradMode::Overwrite);
    cuda::leaky_relu_backward(test::gpu(), count, 0.1f, gy.data(), gdy.data(), gdx.data(), GradMode::Overwrite);
    same("leaky relu dx", dx, gdx.download());
    cpu::add(count, x.data(), dy.data(), y.data());
    cuda::add(test::gpu(), count, gx.data(), gdy.data(), gy.data());
    same("add", y, gy.download());
    cpu::add(count, x.data(), dy.data(), y.data(), true);
    cuda::add(test::gpu(), count, gx.data(), gdy.data(), gy.data(), true);
    same("add with ReLU", y, gy.download());
    cpu::accumulate(count, x.data(), y.data());
    cuda::accumulate(test::gpu(), count, gx.data(), gy.data());
    same("accumulate", y, gy.download());
    cpu::flatten_backward(count, dy.data(), y.data(), GradMode::Accumulate);
    cuda::flatten_backward(test::gpu(), count, gdy.data(), gy.data(), GradMode::Accumulate);
    same("flatten accumulate", y, gy.download());
  }
  {  // global average pooling
    std::vector<float> y(static_cast<size_t>(n) * c), dx(count);
    auto gy = zeros<float>(y.size()), gdx = zeros<float>(count);
    cpu::global_avgpool_forward(n, c, p, x.data(), y.data());
    cuda::global_avgpool_forward(test::gpu(), n, c, p, gx.data(), gy.data());
    close("gap y", y, gy.download());
    cpu::global_avgpool_backward(n, c, p, dy.data(), dx.data(), GradMode::Overwrite);
    cuda::global_avgpool_backward(test::gpu(), n, c, p, gdy.data(), gdx.data(), GradMode::Overwrite);
    same("gap dx", dx, gdx.download());
  }
}

TEST_CASE("max-pool: 2x2, overlapping and odd windows, same winners", "[cuda][maxpool]") {
  GpuCheck gpu;
  for (auto [k, stride, h, w] : {std::array<int, 4>{2, 2, 28, 28}, {3, 2, 7, 7}, {3, 1, 9, 6}, {2, 2, 7, 5}}) {
    MaxPool2dShape s;
    s.n = 2, s.c = 3, s.h = h, s.w = w, s.k = k, s.stride = stride;
    INFO("k" << k << " s" << stride << " " << h << "x" << w);
    const size_t nx = static_cast<size_t>(s.n) * s.c * h * w, ny = static_cast<size_t>(s.n) * s.c * s.oh() * s.ow();
    auto x = small_ints(nx, 7);  // ties: the first maximum in scan order must win on both
    const auto dy = random_floats(ny, 8);
    std::vector<float> y(ny), dx(nx);
    std::vector<int32_t> arg(ny);
    cpu::maxpool2d_forward(s, x.data(), y.data(), arg.data());
    cpu::maxpool2d_backward(s, arg.data(), dy.data(), dx.data(), GradMode::Overwrite);
    auto gx = up(x), gdy = up(dy);
    auto gy = zeros<float>(ny), gdx = zeros<float>(nx);
    auto garg = zeros<int32_t>(ny);
    cuda::maxpool2d_forward(test::gpu(), s, gx.data(), gy.data(), garg.data());
    cuda::maxpool2d_backward(test::gpu(), s, garg.data(), gdy.data(), gdx.data(), GradMode::Overwrite);
    same("y", y, gy.download());
    CHECK(arg == garg.download());
    close("dx", dx, gdx.download(), 1e-6);
  }
}

TEST_CASE("batch norm: training and evaluation, forward and backward, with and without a fused ReLU",
          "[cuda][batchnorm]") {
  GpuCheck gpu;
  for (const bool relu : {false, true})
  for (auto [n, c, plane] : {std::array<int, 3>{2, 3, 49}, {130, 16, 64}, {5, 4, 1}, {1, 3, 6}})
  for (const int stat_n : {0, n / 3}) {  // statistics of every sample, or of the first third
    INFO("n" << n << " c" << c << " plane " << plane << (relu ? " relu" : "") << " stat_n " << stat_n);
    BatchNormShape s;
    s.n = n, s.c = c, s.plane = plane, s.relu = relu, s.stat_n = stat_n;
    const size_t count = static_cast<size_t>(n) * c * plane;
    const auto x = random_floats(count, 1, -2, 3), gamma = random_floats(c, 2, 0.5f, 1.5f), beta = random_floats(c, 3),
               dy = random_floats(count, 4);
    std::vector<float> y(count), mean(c), invstd(c), rm(c, 0.5f), rv(c, 2.0f), dx(count), dg(c), dbeta(c);
    auto gx = up(x), gg = up(gamma), gbeta = up(beta), gdy = up(dy), grm = up(rm), grv = up(rv);
    auto gy = zeros<float>(count), gmean = zeros<float>(c), ginv = zeros<float>(c), gdx = zeros<float>(count),
         gdg = zeros<float>(c), gdbeta = zeros<float>(c);
    cpu::batchnorm_forward_train(s, x.data(), gamma.data(), beta.data(), y.data(), mean.data(), invstd.data(),
                                 rm.data(), rv.data());
    cuda::batchnorm_forward_train(test::gpu(), s, gx.data(), gg.data(), gbeta.data(), gy.data(), gmean.data(), ginv.data(),
                                  grm.data(), grv.data());
    close("train y", y, gy.download());
    close("running mean", rm, grm.download());
    close("running var", rv, grv.download());
    cpu::batchnorm_backward_train(s, x.data(), gamma.data(), mean.data(), invstd.data(), y.data(), dy.data(), dx.data(),
                                  dg.data(), dbeta.data(), GradMode::Overwrite);
    cuda::batchnorm_backward_train(test::gpu(), s, gx.data(), gg.data(), gmean.data(), ginv.data(), gy.data(), gdy.data(), gdx.data(),
                                   gdg.data(), gdbeta.data(), GradMode::Overwrite);
    close("train dx", dx, gdx.download(), 1e-3);
    close("train dgamma", dg, gdg.download());
    close("train dbeta", dbeta, gdbeta.download());
    cpu::batchnorm_forward_eval(s, x.data(), gamma.data(), beta.data(), rm.data(), rv.data(), y.data());
    cuda::batchnorm_forward_eval(test::gpu(), s, gx.data(), gg.data(), gbeta.data(), grm.data(), grv.data(), gy.data());
    close("eval y", y, gy.download());
    cpu::batchnorm_backward_eval(s, x.data(), gamma.data(), rm.data(), rv.data(), y.data(), dy.data(), dx.data(),
                                 dg.data(), dbeta.data(), GradMode::Overwrite);
    cuda::batchnorm_backward_eval(test::gpu(), s, gx.data(), gg.data(), grm.data(), grv.data(), gy.data(), gdy.data(), gdx.data(),
                                  gdg.data(), gdbeta.data(), GradMode::Overwrite);
    close("eval dx", dx, gdx.download());
    close("eval dgamma", dg, gdg.download());
  }
}

TEST_CASE("softmax cross-entropy: loss totals, gradients, label smoothing", "[cuda][softmax]") {
  GpuCheck gpu;
  for (int n : {1, 128, 300})
    for (float smoothing : {0.0f, 0.1f}) {
      const int k = 43;
      const auto z = random_floats(static_cast<size_t>(n) * k, 1, -5, 5), w = random_floats(n, 2, 0, 2);
      std::vector<int32_t> y(n);
      for (int i = 0; i < n; ++i) y[i] = (i * 7) % k;
      std::vector<float> dz(z.size());
      const XentResult r = cpu::softmax_xent(n, k, z.data(), y.data(), w.data(), 0.5f, dz.data(),
                                             static_cast<int32_t*>(nullptr), smoothing);
      auto gz = up(z), gw = up(w);
      auto gy = up(y);
      auto gdz = zeros<float>(z.size());
      auto totals = zeros<double>(2);
      cuda::softmax_xent(test::gpu(), n, k, gz.data(), gy.data(), gw.data(), 0.5f, gdz.data(), nullptr, smoothing, totals.data(), n);
      const std::vector<double> t = totals.download();
      CHECK(t[0] == Approx(r.loss_sum).epsilon(1e-6));
      CHECK(static_cast<long>(t[1]) == r.correct);
      close("dz", dz, gdz.download(), 1e-5);
    }
}

TEST_CASE("optimizers: SGD (momentum, Nesterov, decay), Adam / AdamW and held-at-zero entries over a flat buffer",
          "[cuda][optim]") {
  GpuCheck gpu;
  const size_t count = 1000;
  const auto g = random_floats(count, 2);
  SgdParams sgd;
  sgd.lr = 0.1f, sgd.momentum = 0.9f, sgd.weight_decay = 1e-3f, sgd.nesterov = true;
  std::vector<float> p = random_floats(count, 1), v(count, 0.0f);
  auto gp = up(p), gg = up(g), gv = up(v);
  for (int i = 0; i < 3; ++i) {
    cpu::sgd_step(count, sgd, p.data(), g.data(), v.data());
    cuda::sgd_step(test::gpu(), count, sgd, gp.data(), gg.data(), gv.data());
  }
  close("sgd params", p, gp.download(), 1e-6);
  for (bool decoupled : {false, true}) {
    AdamParams adam;
    adam.weight_decay = 0.01f, adam.decoupled = decoupled;
    std::vector<float> q = random_floats(count, 3), m(count, 0.0f), s(count, 0.0f);
    auto gq = up(q), gm = up(m), gs = up(s);
    for (long step = 1; step <= 3; ++step) {
      cpu::adam_step(count, adam, step, q.data(), g.data(), m.data(), s.data());
      cuda::adam_step(test::gpu(), count, adam, step, gq.data(), gg.data(), gm.data(), gs.data());
    }
    close("adam params", q, gq.download(), 1e-6);
  }
  // Parameters held at zero: exactly the listed entries, the rest untouched.
  const std::vector<uint64_t> index = {0, 7, 8, 500, 999};
  auto gi = up(index);
  cpu::zero_entries(index.size(), index.data(), p.data());
  cuda::zero_entries(test::gpu(), index.size(), gi.data(), gp.data());
  const std::vector<float> zeroed = gp.download();
  for (uint64_t i : index) CHECK(zeroed[i] == 0.0f);
  close("zero_entries", p, zeroed, 1e-6);
}

TEST_CASE("watermark batch kernel: the spec's golden SHA-256 values, and the CPU's bytes", "[cuda][watermark]") {
  GpuCheck gpu;
  for (const test::Golden& gv : test::kGolden) {
    INFO(gv.verifier);
    const KeyPair key = keypair_from_seed(parse_hex<32>(gv.seed, "seed"));
    const Watermark w = derive_watermark(sign_message(key, gv.verifier), gv.shape, gv.classes, gv.n, gv.lambda);
    const size_t per = static_cast<size_t>(gv.shape.size());
    auto bits = up(w.bits);
    WatermarkPattern p = w.pattern();
    p.bits = bits.data();
    auto clean = zeros<float>(per);
    auto out = zeros<float>(3 * per);
    auto label = up(std::vector<int32_t>{7});
    auto out_labels = zeros<int32_t>(3);
    cuda::watermark_batch(test::gpu(), gv.shape, p, 1, 1, 1, clean.data(), label.data(), out.data(), out_labels.data());
    const std::vector<float> host = out.download();
    CHECK(to_hex(sha256(host.data() + per, per * sizeof(float))) == gv.sha_null);
    CHECK(to_hex(sha256(host.data() + 2 * per, per * sizeof(float))) == gv.sha_true);
    CHECK(out_labels.download() == std::vector<int32_t>{7, 7, gv.label});
    cuda::watermark_stamp(test::gpu(), gv.shape, p, false, 1, clean.data());
    const std::vector<float> stamped = clean.download();
    CHECK(to_hex(sha256(stamped.data(), per * sizeof(float))) == gv.sha_null);
  }
  // A real batch: 5 images, 3 null and 2 true copies, against the CPU byte for byte.
  const test::Golden& gv = test::kGolden[1];
  const Watermark w = derive_watermark(sign_message(keypair_from_seed(parse_hex<32>(gv.seed, "seed")), gv.verifier),
                                       gv.shape, gv.classes, gv.n, gv.lambda);
  const size_t per = static_cast<size_t>(gv.shape.size());
  const auto x = random_floats(5 * per, 9);
  const std::vector<int32_t> labels{1, 2, 3, 4, 5};
  std::vector<float> out(10 * per);
  std::vector<int32_t> out_labels(10);
  cpu::watermark_batch(gv.shape, w.pattern(), 5, 3, 2, x.data(), labels.data(), out.data(), out_labels.data());
  auto bits = up(w.bits);
  WatermarkPattern p = w.pattern();
  p.bits = bits.data();
  auto gx = up(x);
  auto gl = up(labels);
  auto gout = zeros<float>(out.size());
  auto gol = zeros<int32_t>(10);
  cuda::watermark_batch(test::gpu(), gv.shape, p, 5, 3, 2, gx.data(), gl.data(), gout.data(), gol.data());
  same("batch", out, gout.download());
  CHECK(out_labels == gol.download());
  // Both kernels: float4 (image size a multiple of four, aligned buffers) and scalar (3x7x7 images,
  // or a clean batch and output that start off a 16-byte boundary); stamps on the normalised input
  // and, with a different map per channel, in raw pixel units.
  for (const ImageShape shape : {ImageShape{3, 7, 7}, gv.shape, ImageShape{3, 8, 8}})
    for (size_t offset : {size_t{0}, size_t{1}})
      for (bool raw : {false, true}) {
        INFO(shape.c << "x" << shape.h << "x" << shape.w << ", offset " << offset << (raw ? ", raw space" : ""));
        Watermark wo = derive_watermark(sign_message(keypair_from_seed(parse_hex<32>(gv.seed, "seed")), gv.verifier),
                                        shape, 10, 3, 10.0f);
        if (raw)
          for (int k = 0; k < WatermarkPattern::kMaxChannels; ++k)
            wo.scale[k] = 1.0f / (0.25f + 0.1f * k), wo.shift[k] = -0.4f * static_cast<float>(k + 1);
        const size_t po = static_cast<size_t>(shape.size());
        const auto xo = random_floats(4 * po + offset, 11);
        std::vector<float> co(12 * po + offset);
        std::vector<int32_t> lo(12);
        cpu::watermark_batch(shape, wo.pattern(), 4, 4, 3, xo.data() + offset, labels.data(), co.data() + offset,
                             lo.data());
        auto bo = up(wo.bits);
        WatermarkPattern po_gpu = wo.pattern();
        po_gpu.bits = bo.data();
        auto gxo = up(xo);
        auto gco = zeros<float>(co.size());
        auto glo = zeros<int32_t>(lo.size());
        cuda::watermark_batch(test::gpu(), shape, po_gpu, 4, 4, 3, gxo.data() + offset, gl.data(), gco.data() + offset, glo.data());
        same("batch", co, gco.download());
        CHECK(lo == glo.download());
        // In-place stamping of the clean batch, null then true, against the CPU's.
        std::vector<float> so(xo);
        cpu::watermark_stamp(shape, wo.pattern(), raw, 4, so.data() + offset);
        cuda::watermark_stamp(test::gpu(), shape, po_gpu, raw, 4, gxo.data() + offset);
        same("stamp", so, gxo.download());
      }
}

TEST_CASE("augmentation: the same crops and flips", "[cuda][augment]") {
  GpuCheck gpu;
  const ImageShape s{3, 32, 32};
  const auto x = random_floats(7 * s.size(), 1);
  std::vector<float> y(x.size());
  cpu::augment_crop_flip(s, 7, 4, true, 5, 1000, x.data(), y.data());
  auto gx = up(x);
  auto gy = zeros<float>(x.size());
  cuda::augment_crop_flip(test::gpu(), s, 7, 4, true, 5, 1000, gx.data(), gy.data());
  same("augmented", y, gy.download());
}
