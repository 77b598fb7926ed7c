// Which implementation a CUDA kernel call runs, one name for every op and for the `impl:` key of a
// layer: nullmark's own kernels (Native), or the vendor library (Library: cuDNN for convolutions,
// cuBLAS for dense layers); a convolution's native kernels can also be pinned to one form (Gemm, the
// implicit GEMM; Direct, the direct kernels) to compare them. Auto is a layer's choice still to be
// made by timing both (nn/layers/impl_choice.h); kernels are always called with the choice made.
#pragma once

namespace nullmark {

enum class KernelImpl { Auto, Native, Library, Gemm, Direct };

}  // namespace nullmark
