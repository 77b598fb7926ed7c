// Which implementation a CUDA kernel call runs, one name for every op and for the `impl:` key of a
// layer: nullmark's own kernels (Native), or the vendor library (Library: cuDNN for convolutions,
// cuBLAS for dense layers); a convolution's native kernels can also be pinned to one form (Gemm, the
// implicit GEMM; Direct, the direct kernels) to compare them. Auto is a layer's choice still to be
// made by timing both (nn/layers/impl_choice.h); kernels are always called with the choice made.
#pragma once

namespace nullmark {

enum class KernelImpl { Auto, Native, Library, Gemm, Direct };

// How the CPU computes a 3x3, stride-1, padding-1 convolution (a conv2d layer's `cpu_algorithm:`):
// directly (kernels/conv2d_grid_cpu.h), or in the Winograd form (kernels/conv2d_winograd_cpu.h),
// with 2.25x fewer multiply-adds and rounding that differs from the direct form's in the last bits.
// Unlike KernelImpl it changes the numbers, so it is part of the model, never chosen by timing.
enum class ConvAlgorithm { Direct, Winograd };

}  // namespace nullmark
