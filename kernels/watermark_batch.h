// Fused watermark batch assembly (spec v1 stamping). From B clean, normalised images it writes,
// in one pass over each clean image, the training batch
//   [ B clean | n_null null-stamped | n_true true-stamped ]
// and its labels: clean and null copies keep their labels, true copies get y_W. Null stamping sets
// the pattern cells to bit ? +lambda : -lambda, true stamping to bit ? -lambda : +lambda, in every
// channel (mapped per channel by the pattern's scale and shift, identity by default); every other
// element is copied unchanged. The null / true copies are made from the first n_null / n_true
// images of the (already shuffled) batch.
#pragma once
#include <cstdint>

#include "kernels/cuda/context.h"
#include "kernels/host_device.h"

namespace nullmark {

struct WatermarkPattern {
  int row = 0, col = 0, n = 1;    // top-left corner and side of the n x n square
  const uint8_t* bits = nullptr;  // n*n bits, row-major inside the square
  float lambda = 0.0f;  // the caller's: a claim's value
  int label = 0;  // y_W
  // The value a cell gets in channel c is (+-lambda) * scale[c] + shift[c]. The identity (the
  // default) stamps +-lambda on the normalised input, the spec's "normalized" space; a "raw" claim
  // stamps +-lambda in raw pixel units, which the data's normalisation maps to
  // (+-lambda - mean_c) / std_c. Channels past the last entry use the last (inputs with more
  // channels than kMaxChannels take the identity only: watermark_for checks).
  static constexpr int kMaxChannels = 4;
  float scale[kMaxChannels] = {1.0f, 1.0f, 1.0f, 1.0f};
  float shift[kMaxChannels] = {0.0f, 0.0f, 0.0f, 0.0f};
  // The stamped value of a cell whose (bit != invert) is `on`, in channel c.
  NM_HOST_DEVICE float value(bool on, int c) const {
    const int k = c < kMaxChannels ? c : kMaxChannels - 1;
    return (on ? lambda : -lambda) * scale[k] + shift[k];
  }
};

struct ImageShape {
  int c = 1, h = 1, w = 1;
  int size() const { return c * h * w; }
};

namespace cpu {
void watermark_batch(const ImageShape& s, const WatermarkPattern& p, int b, int n_null, int n_true, const float* clean,
                     const int32_t* labels, float* out, int32_t* out_labels);
// Stamps in place: null (invert = false) or true (invert = true) pattern on `count` images.
void watermark_stamp(const ImageShape& s, const WatermarkPattern& p, bool invert, int count, float* images);
}  // namespace cpu

// CUDA twins: one thread per element of the clean batch reads it once and writes its clean, null
// and true copies. `p.bits` must point to device memory here.
namespace cuda {
void watermark_batch(const Context& ctx, const ImageShape& s, const WatermarkPattern& p, int b, int n_null, int n_true, const float* clean,
                     const int32_t* labels, float* out, int32_t* out_labels);
void watermark_stamp(const Context& ctx, const ImageShape& s, const WatermarkPattern& p, bool invert, int count, float* images);
}  // namespace cuda
}  // namespace nullmark
