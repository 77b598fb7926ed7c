// The CPU's direct form of the 3x3, stride-1, padding-1 convolution (every convolution of a ResNet
// stage but the strided ones), used by conv2d_cpu.cpp where it applies.
//
// Lowering to GEMM costs as much as the GEMM itself at these shapes: the lowered matrix is nine
// times the input and each of its values is used only F times. Here each image is copied once into
// a zero-padded plane per channel, and outputs are computed on the padded grid (row pitch W + 2,
// two unused columns per row), where every tap of the kernel is one contiguous shift: a block of 8
// filters by 48 grid positions lives in 24 vector registers while the input channels and the 9 taps
// stream past. The input gradient is the same convolution of the (masked) output gradient with the
// flipped, transposed filters; the weight gradient accumulates, per input channel, kernel row and
// block of eight filters, 24 vector partial sums over the grid of a block of images. Every sum runs in a fixed order, so results
// depend on the thread count only (through the per-thread weight-gradient partials, reduced in
// thread order), as the GEMM form's do.
#pragma once
#include <cstddef>

#include "kernels/conv2d.h"

namespace nullmark::cpu::conv_grid {

bool applies(const Conv2dShape& s);
// Whether its weight gradient is used: on images 8 and more columns wide (on the ResNet's 8x8 images
// it is 1.3x faster than the lowered GEMM's, measured with bench_kernels_cpu); conv2d_cpu.cpp
// computes it the lowered way on narrower ones, where most of a grid vector is padding.
bool weight_gradient_applies(const Conv2dShape& s);
// Scratch floats per thread.
size_t per_thread(const Conv2dShape& s);
template <class T>
void forward(const Conv2dShape& s, const T* x, const T* w, const T* b, T* y, T* work);
template <class T>
void backward(const Conv2dShape& s, const T* x, const T* w, const T* y, const T* dy, T* dx, T* dw, T* db,
              GradMode mode, T* work);

}  // namespace nullmark::cpu::conv_grid
