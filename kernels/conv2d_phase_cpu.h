// The CPU's direct form of the 3x3, stride-2, padding-1 convolution (a ResNet's downsampling
// convolutions), used by conv2d_cpu.cpp where it applies.
//
// Lowered to GEMM, a stride-2 convolution copies each input value about 2.25 times and multiplies
// short matrices. Here each image's zero-padded input is split once into its four phases (even and
// odd rows by even and odd columns), each a plane of pitch OW + 2: output (oy, ox)'s tap (i, j)
// reads phase (i % 2, j % 2) at (oy + i / 2, ox + j / 2), one contiguous shift on that grid, so the
// stride-1 direct form's loops (conv2d_taps_cpu.h) run with other tap offsets. The input gradient is
// computed phase by phase of the padded input: phase (a, b) gathers the taps with i % 2 = a and
// j % 2 = b (four, two, two and one of them) from the zero-bordered output gradient, and its values
// go back to their rows and columns. The weight gradient pairs the output gradient with the phases
// as the forward pass reads them. Sums run in a fixed order, so results depend on the thread count
// only (the per-thread weight-gradient partials, reduced in thread order).
#pragma once
#include <cstddef>

#include "kernels/conv2d.h"

namespace nullmark::cpu::conv_phase {

// 3x3, stride 2, padding 1, an even filter count (the weight gradient works on pairs of filters).
bool applies(const Conv2dShape& s);
// Whether its weight gradient is used: on outputs 16 and more columns wide (on the ResNet's 8x8
// outputs the lowered GEMM's is 1.3x faster, measured with bench_kernels_cpu); conv2d_cpu.cpp
// computes it the lowered way on narrower ones.
bool weight_gradient_applies(const Conv2dShape& s);
// Scratch floats per thread.
size_t per_thread(const Conv2dShape& s);
template <class T>
void forward(const Conv2dShape& s, const T* x, const T* w, const T* b, T* y, T* work);
template <class T>
void backward(const Conv2dShape& s, const T* x, const T* w, const T* y, const T* dy, T* dx, T* dw, T* db,
              GradMode mode, T* work);

}  // namespace nullmark::cpu::conv_phase
