// Which implementation a CUDA kernel call runs, one name for every op: nullmark's own kernels
// (Native), or the vendor library (Library: cuDNN for convolutions, cuBLAS for dense layers); a
// convolution's native kernels can also be pinned to one form (Gemm, the implicit GEMM; Direct, the
// direct kernels) to compare them. The per-layer `impl:` choice, with `auto`, is nn/layers/impl_choice.h.
#pragma once

namespace nullmark {

enum class KernelImpl { Native, Library, Gemm, Direct };

}  // namespace nullmark
