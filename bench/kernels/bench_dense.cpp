// Dense layers: nullmark's GEMM against cuBLAS, both passes, on the models' shapes and a large one.
#include "bench/kernels/kernel_bench.h"
#include "common/format.h"
#include "kernels/cuda/timing.h"
#include "kernels/dense.h"

namespace nullmark::bench {

std::vector<DenseShape> dense_shapes() {
  return {DenseShape{384, 512, 512}, DenseShape{384, 512, 10}, DenseShape{4096, 4096, 4096}};
}

void time_dense(KernelBench& bench, const cuda::Context& gpu, const std::string& suffix, double tensor_peak) {
  for (const DenseShape& d : dense_shapes()) {
    auto x = filled(size_t(d.n) * d.in), w = filled(size_t(d.out) * d.in), b = filled(d.out),
         dy = filled(size_t(d.n) * d.out);
    DeviceArray<float> y(Device::CUDA, size_t(d.n) * d.out), dx(Device::CUDA, size_t(d.n) * d.in),
        dw(Device::CUDA, size_t(d.out) * d.in), db(Device::CUDA, d.out);
    const std::string shape = format("%d x %d -> %d", d.n, d.in, d.out);
    const double flops = 2.0 * d.n * d.in * d.out;
    for (KernelImpl impl : {KernelImpl::Native, KernelImpl::Library}) {
      const std::string name = std::string(impl == KernelImpl::Native ? "native" : "cublas") + suffix;
      bench.report("dense fwd", shape, name,
                   cuda::time_ms(gpu, [&] { cuda::dense_forward(gpu, d, x.data(), w.data(), b.data(), y.data(), impl); },
                                 bench.reps),
                   flops, 0, tensor_peak);
      bench.report("dense bwd", shape, name,
                   cuda::time_ms(gpu,
                                 [&] {
                                   cuda::dense_backward(gpu, d, x.data(), w.data(), dy.data(), dx.data(), dw.data(),
                                                        db.data(), GradMode::Overwrite, impl);
                                 },
                                 bench.reps),
                   2 * flops, 0, tensor_peak);
    }
  }
}

void bench_dense(KernelBench& bench) { time_dense(bench, bench.gpu(), "", 0); }

}  // namespace nullmark::bench
