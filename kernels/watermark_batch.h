// Fused watermark batch assembly (spec v1 stamping). From B clean, normalised images it writes,
// in one pass over each clean image, the training batch
//   [ B clean | n_null null-stamped | n_true true-stamped ]
// and its labels: clean and null copies keep their labels, true copies get y_W. Null stamping sets
// the pattern cells to bit ? +lambda : -lambda, true stamping to bit ? -lambda : +lambda, in every
// channel; every other element is copied unchanged. The null / true copies are made from the first
// n_null / n_true images of the (already shuffled) batch.
#pragma once
#include <cstdint>

namespace nullmark {

struct WatermarkPattern {
  int row = 0, col = 0, n = 1;    // top-left corner and side of the n x n square
  const uint8_t* bits = nullptr;  // n*n bits, row-major inside the square
  float lambda = 2000.0f;
  int label = 0;  // y_W
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
void watermark_batch(const ImageShape& s, const WatermarkPattern& p, int b, int n_null, int n_true, const float* clean,
                     const int32_t* labels, float* out, int32_t* out_labels);
void watermark_stamp(const ImageShape& s, const WatermarkPattern& p, bool invert, int count, float* images);
}  // namespace cuda
}  // namespace nullmark
