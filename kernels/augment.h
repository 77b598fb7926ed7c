// Data augmentation on normalised NCHW batches: random crop with zero padding (zero is the data
// set mean after normalisation) and random horizontal flip. Image i of a call draws its offsets and
// flip from hash(seed, first + i), so a run's augmentation depends only on the seed and the sample's
// position in training (resumed runs replay it exactly, any thread count gives the same batch).
#pragma once
#include <cstdint>

#include "kernels/watermark_batch.h"

namespace nullmark::cpu {

struct CropFlip {
  int dy = 0, dx = 0;  // shift of the crop window, each in [-pad, pad]
  bool flip = false;
};
CropFlip crop_flip_draw(uint64_t seed, uint64_t index, int pad, bool flip);

// out must not alias in.
void augment_crop_flip(const ImageShape& s, int n, int pad, bool flip, uint64_t seed, uint64_t first, const float* in,
                       float* out);

}  // namespace nullmark::cpu
