// Data augmentation on normalised NCHW batches: random crop with zero padding (zero is the data
// set mean after normalisation) and random horizontal flip. Image i of a call draws its offsets and
// flip from hash(seed, first + i), so a run's augmentation depends only on the seed and the sample's
// position in training (resumed runs replay it exactly, any thread count gives the same batch).
#pragma once
#include <cstdint>

#include "kernels/counter_hash.h"
#include "kernels/cuda/context.h"
#include "kernels/watermark_batch.h"

namespace nullmark::cpu {

using nullmark::CropFlip;  // kernels/counter_hash.h
using nullmark::crop_flip_draw;

// out must not alias in.
void augment_crop_flip(const ImageShape& s, int n, int pad, bool flip, uint64_t seed, uint64_t first, const float* in,
                       float* out);

}  // namespace nullmark::cpu

namespace nullmark::cuda {  // CUDA twin: the same crops and flips
void augment_crop_flip(const Context& ctx, const ImageShape& s, int n, int pad, bool flip, uint64_t seed, uint64_t first, const float* in,
                       float* out);
}  // namespace nullmark::cuda
