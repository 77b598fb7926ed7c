// The CPU's Winograd form F(2x2, 3x3) of the 3x3, stride-1, padding-1 convolution: the forward
// pass, the input gradient (the same convolution of the output gradient with the flipped,
// transposed filters) and, asked for without a bias gradient, the weight gradient. Chosen per layer
// (`cpu_algorithm: winograd`, Conv2dShape::winograd); a bias gradient is left to the direct form
// (conv2d_grid_cpu.h), which then computes the weight gradient as well.
//
// Each 2x2 block of outputs comes from a 4x4 patch of the padded input: with the transforms of
// Lavin and Gray, V = B^T d B (the patch), U = G g G^T (the 3x3 filter), Y = A^T (sum over input
// channels of U .* V) A. The sum is 16 products per output channel, input channel and block instead
// of 36: 2.25x fewer multiply-adds, for the cost of the transforms (adds only) and of rounding that
// differs from the direct form's in the last bits (the transforms add and subtract neighbours, so
// the error is a few ulps of the largest partial sum; small integers stay exact, as every
// intermediate is a multiple of 1/4). Results depend on nothing but the inputs: no thread count,
// no order choice.
//
// Vector lanes are images: a group of 16 images (8 in double) is transposed so that lane g of every
// vector belongs to image g, so every transform is plain vector adds, and the 16 products of every
// block are one matrix product per transform position, [output channels x input channels] times
// [input channels x blocks of a row], register-blocked 4 x 4 vectors. Work is split over threads by
// image groups; a batch that is not a multiple of the group leaves lanes idle in its last group.
#pragma once
#include <cstddef>

#include "kernels/conv2d.h"
#include "kernels/grad_mode.h"

namespace nullmark::cpu::conv_winograd {

// 3x3, stride 1, padding 1, H even and W a multiple of 8 (2x2 blocks, rows of whole 4-block
// vectors), and at least 16 input and output channels: below that the transforms cost more than
// the products save (the 3-channel input layer of a ResNet ran 1.9x slower, measured).
bool applies(const Conv2dShape& s);
// Whether the weight gradient is computed in this form too: with at most 4096 filter-channel pairs,
// as in every stage of a CIFAR ResNet (each thread keeps 16 vectors of partial sums a pair: 4 MiB
// at 64 x 64; wider layers take the direct form's). Measured against the direct weight gradient,
// the training step of ResNet-20 ran 1.05x, 1.03x and 1.06x faster as it took over the 16-, 32- and
// 64-channel stages (bench/ab_cpu.py train).
bool weight_gradient_applies(const Conv2dShape& s);
// Scratch floats: shared (the transformed filters) plus per thread, for any of the passes.
size_t workspace(const Conv2dShape& s, int threads);
// y = conv(x, w) + b (b may be null), through the fused ReLU when s.relu.
template <class T>
void forward(const Conv2dShape& s, const T* x, const T* w, const T* b, T* y, T* work);
// dx (=|+=) the input gradient of dy (masked where y <= 0 when s.relu).
template <class T>
void input_gradient(const Conv2dShape& s, const T* w, const T* y, const T* dy, T* dx, GradMode mode, T* work);
// dw (=|+=) the weight gradient of dy (masked where y <= 0 when s.relu); where weight_gradient_applies.
// Per-thread partial sums are added in thread order: the result depends on the thread count only.
template <class T>
void weight_gradient(const Conv2dShape& s, const T* x, const T* y, const T* dy, T* dw, GradMode mode, T* work);

}  // namespace nullmark::cpu::conv_winograd
