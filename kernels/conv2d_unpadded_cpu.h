// The direct products of small unpadded stride-1 convolutions (the digit model's second 5x5 layer:
// 16 channels of 12x12 in, 32 filters of 8x8 out), run inside the lowered form's block
// loops of conv2d_cpu.cpp in place of its GEMMs.
//
// Lowered, the input gradient multiplies into a column matrix 25 times the size of the input and
// scatters it back (col2im), and the weight gradient lowers the input again (im2col) and packs both
// operands: at these shapes the copies cost as much as the multiply-adds. Here every product reads
// the input and the output gradient where they lie. Each sum runs in the order the lowered GEMM's
// does on OpenBLAS's AVX-512 kernels (SkylakeX, Cooperlake) at the sizes where the forms are used:
//  - forward: per output, the products over the lowered rows (channel, kernel row, kernel column)
//    chained by fused multiply-adds from zero, then the bias added;
//  - weight gradient: per block of images, each weight's products over the block's columns (image,
//    output row, output column) chained by fused multiply-adds from zero, then added to the
//    thread's partial sum;
//  - input gradient: per lowered row (channel, kernel row, kernel column) and output position, the
//    products over the filters chained from zero, then added to the input position in the order of
//    the lowered rows, as col2im adds them.
// Lowered, the forward pass copies the input 25 times into its column matrix and packs it again for
// the GEMM; here each output reads its inputs where they lie.
// So a model trains to the same bits in either form on those kernels: results recorded before this
// form existed repeat exactly. (Where the fused multiply-add is not compiled in, or OpenBLAS sums
// otherwise, each form is still deterministic for a given thread count; they no longer agree bit for
// bit.) Internal to the CPU convolution.
#pragma once
#include <cstddef>

#include "kernels/conv2d.h"
#include "kernels/grad_mode.h"

namespace nullmark::cpu::conv_unpadded {

// Forward products: stride 1, no padding, filters a multiple of two vectors, at most 448 lowered rows
// (OpenBLAS 0.3.21's SkylakeX GEMM chains up to 448 products in one sum; its Cooperlake kernels
// split sums of more than 384, so on those the digit model's second layer, with 400, now rounds as
// on SkylakeX: the kernels the recorded results were trained with).
template <class T>
bool forward_applies(const Conv2dShape& s);
// Weight gradient over blocks of `cols` output columns: stride 1, no padding, filters a multiple of
// two vectors, and blocks of at most 256 columns (OpenBLAS 0.3.21's AVX-512 GEMM chains up to 320
// products in one sum; beyond, it splits them, and the forms' bits would differ).
template <class T>
bool weight_gradient_applies(const Conv2dShape& s, int cols);
// Input gradient: stride 1, no padding, output planes of one to four whole vectors, at most 256
// filters (the GEMM's single chain, as above).
template <class T>
bool input_gradient_applies(const Conv2dShape& s);

// Whether the products chain through fused multiply-adds (the kernels were compiled for a CPU with
// them), the order the header describes; without, each product is rounded before its addition.
bool chains_fused();

// out[G*P, F] = the block's forward products (no bias): row p (image, output row, output column)
// holds the F filters' sums. wt is the filter bank transposed, [C*KH*KW, F].
template <class T>
void forward_products(const Conv2dShape& s, const T* x, int first, int count, const T* wt, T* out);
// dw[C*KH*KW, F] += the block's products (filter-minor: each lowered row's filters are whole vectors). dyt is the
// block's (masked) output gradient transposed: row p (image, output row, output column) holds the F filters' values.
template <class T>
void weight_gradient(const Conv2dShape& s, const T* x, int first, int count, const T* dyt, T* dw);
// The input gradient of images [first, first + count): dy holds the block's (masked) output
// gradient, filter f's row at dy + f * ld, image g's plane from column g * OH * OW on.
template <class T>
void input_gradient(const Conv2dShape& s, const T* w, const T* dy, size_t ld, int first, int count, T* dx,
                    GradMode mode);

}  // namespace nullmark::cpu::conv_unpadded
