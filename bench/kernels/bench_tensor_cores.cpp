// Tensor cores: the models' convolutions and the dense products in tf32 and bf16 (kernels/precision.h),
// nullmark's tensor-core GEMM (`native`) beside the libraries in the same precision: cuDNN (in bf16
// on bfloat16 copies, the staging included in its time) and cuBLAS. Shares are of the card's dense
// tensor-core peak for the precision.
#include <cstdio>
#include <string>

#include "bench/kernels/kernel_bench.h"
#include "kernels/conv2d.h"
#include "kernels/cuda/conv_cudnn.h"
#include "kernels/cuda/timing.h"

namespace nullmark::bench {

namespace {
void convolutions(KernelBench& bench, const cuda::Context& gpu, Precision p, double peak) {
  for (const ConvCase& cc : model_convolutions()) {
    const Conv2dShape& s = cc.s;
    ConvData t(s);
    const double flops = 2.0 * size_t(s.n) * s.f * s.oh() * s.ow() * s.col_rows();
    for (KernelImpl impl : {KernelImpl::Native, KernelImpl::Library}) {
      if (impl == KernelImpl::Library && !cuda::cudnn_available()) continue;
      DeviceArray<float> work(Device::CUDA, cuda::conv2d_workspace(gpu, s, impl));
      const std::string name = std::string(conv_impl_name(impl)) + "-" + precision_name(p);
      const double f = cuda::time_ms(
          gpu, [&] { cuda::conv2d_forward(gpu, s, t.x.data(), t.w.data(), t.b.data(), t.y.data(), work.data(), impl); },
          bench.reps);
      bench.report(std::string(cc.name) + " fwd", conv_shape_label(s), name, f, flops, 0, peak);
      const double b = cuda::time_ms(
          gpu,
          [&] {
            cuda::conv2d_backward(gpu, s, t.x.data(), t.w.data(), t.y.data(), t.dy.data(), cc.first ? nullptr : t.dx.data(),
                                  t.dw.data(), t.db.data(), GradMode::Overwrite, work.data(), impl);
          },
          bench.reps);
      bench.report(std::string(cc.name) + (cc.first ? " bwd, no dx" : " bwd"), conv_shape_label(s), name, b,
                   (cc.first ? 1 : 2) * flops, 0, peak);
    }
  }
}

}  // namespace

void bench_tensor_cores(KernelBench& bench) {
  for (Precision p : {Precision::Tf32, Precision::Bf16}) {
    cuda::ContextOptions options = bench.gpu().options();
    options.precision = p;
    options.conv_form = KernelImpl::Native;
    const cuda::Context gpu(options);
    const double peak = p == Precision::Bf16 ? bench.peak.bf16 : bench.peak.tf32;
    std::printf("tensor cores, %s (nominal dense peak %.0f TFLOP/s)\n", precision_name(p), peak);
    convolutions(bench, gpu, p, peak);
    time_dense(bench, gpu, std::string("-") + precision_name(p), peak);
  }
}

}  // namespace nullmark::bench
