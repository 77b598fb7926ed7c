// 2-D convolution, NCHW activations, weights [F, C, KH, KW], bias [F].
//
// CPU: lowered to GEMM in blocks of images. Each thread takes a block of G images, writes their
// im2col columns col[C*KH*KW, G*OH*OW] (sized to stay in L2), runs one single-threaded OpenBLAS SGEMM
// for all G*F output planes, and transposes back to NCHW with the bias add (and optional ReLU)
// fused in; the backward pass applies the ReLU mask while it gathers dy. Blocks amortise
// GEMM packing over several small images; per-thread blocks keep the data in the core's cache.
// The backward pass accumulates dW in per-thread buffers reduced in thread order (deterministic
// for a given thread count).
#pragma once
#include <cstddef>

#include "kernels/cuda/context.h"
#include "kernels/grad_mode.h"
#include "kernels/kernel_impl.h"

namespace nullmark {

struct Conv2dShape {
  int n = 1, c = 1, h = 1, w = 1;  // input
  int f = 1, kh = 1, kw = 1;       // filters and kernel size
  int stride = 1, pad = 0;
  bool relu = false;  // fused activation: y = max(0, conv + b); backward masks dy where y <= 0
  // CPU: the passes in the Winograd form F(2x2, 3x3) (conv2d_winograd_cpu.h) where
  // cpu::conv2d_winograd_applies (the weight gradient where that header says); the GPU kernels ignore it.
  bool winograd = false;
  int oh() const { return (h + 2 * pad - kh) / stride + 1; }
  int ow() const { return (w + 2 * pad - kw) / stride + 1; }
  size_t col_rows() const { return static_cast<size_t>(c) * kh * kw; }
  size_t col_cols() const { return static_cast<size_t>(n) * oh() * ow(); }
};

namespace cpu {

// Whether the Winograd form can compute this shape: 3x3, stride 1, padding 1, H even, W a multiple
// of 8, at least 16 input and output channels.
bool conv2d_winograd_applies(const Conv2dShape& s);
// Scratch floats conv2d_forward/backward need in `work`.
size_t conv2d_workspace(const Conv2dShape& s);
// Kernels are templates instantiated for float (the runtime) and double (gradient checks).
// y[N,F,OH,OW] = conv(x, w) + b (b may be null). `work` holds conv2d_workspace(s) floats for the
// current OpenMP thread count. The backward pass lowers the input again from cache: keeping the
// lowered input between the passes was measured no faster at batch 128 and 10 % slower at 384.
template <class T>
void conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* b, T* y, T* work);
// Gradients for input, weights and bias; each may be null when no one needs it (dx: the first
// layer; dw and db: input gradients only, as Neural Cleanse asks; db: no bias).
// y is the forward output, read only when s.relu is set (to mask dy).
template <class T>
void conv2d_backward(const Conv2dShape& s, const T* x, const T* w, const T* y, const T* dy, T* dx, T* dw, T* db,
                     GradMode mode, T* work);

}  // namespace cpu

// CUDA twins, in two native forms: the implicit GEMM through kernels/cuda/gemm_tile.cuh (the input
// gradient's and the weight gradient's too, the latter split over K with a fixed-order reduction of
// the slices), and the direct kernels of kernels/cuda/conv_direct.h, which stage images (or bands of
// their rows) and the filter bank (or slices of it) in shared memory; where the forward pass would
// need the bank in slices, it walks the input channels in chunks instead (conv_direct_chunked.h).
//   Native: per product, the direct kernel where its block fits in 80 KiB of shared memory and keeps
//   at least half its threads busy, else the GEMM (the context's conv_form can pin either).
//   Gemm, Direct: one form throughout (Direct fails, saying why, where the card lacks the memory).
//   Library: the cuDNN library, as the baseline and alternative.
// In the context's tf32 and bf16 precisions (kernels/precision.h) the native kernels are the implicit
// GEMM on tensor cores (kernels/cuda/gemm_mma.cuh); Direct is refused there. cuDNN in bf16 works on
// bfloat16 copies and rounds its results to bfloat16 (kernels/cuda/conv_cudnn.cu).
// `work` is device scratch of conv2d_workspace floats. Null gradient pointers are skipped as on the CPU.
inline const char* conv_impl_name(KernelImpl impl) {
  switch (impl) {
    case KernelImpl::Auto: return "auto";
    case KernelImpl::Native: return "native";
    case KernelImpl::Library: return "cudnn";  // the library, for a convolution
    case KernelImpl::Gemm: return "gemm";
    case KernelImpl::Direct: return "direct";
  }
  return "?";
}
namespace cuda {
size_t conv2d_workspace(const Context& ctx, const Conv2dShape& s, KernelImpl impl = KernelImpl::Native);
void conv2d_forward(const Context& ctx, const Conv2dShape& s, const float* x, const float* w, const float* b, float* y, float* work,
                    KernelImpl impl = KernelImpl::Native);
void conv2d_backward(const Context& ctx, const Conv2dShape& s, const float* x, const float* w, const float* y, const float* dy, float* dx,
                     float* dw, float* db, GradMode mode, float* work, KernelImpl impl = KernelImpl::Native);
}  // namespace cuda
}  // namespace nullmark
