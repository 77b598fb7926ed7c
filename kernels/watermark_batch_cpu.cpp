#include <cstdint>
#include <cstring>

#include "kernels/watermark_batch.h"

namespace nullmark::cpu {

namespace {
inline void stamp(const ImageShape& s, const WatermarkPattern& p, bool invert, float* img) {
  for (int c = 0; c < s.c; ++c)
    for (int i = 0; i < p.n; ++i) {
      float* row = img + (static_cast<size_t>(c) * s.h + p.row + i) * s.w + p.col;
      const uint8_t* bits = p.bits + i * p.n;
      for (int j = 0; j < p.n; ++j) row[j] = p.value((bits[j] != 0) != invert, c);
    }
}
}  // namespace

void watermark_stamp(const ImageShape& s, const WatermarkPattern& p, bool invert, int count, float* images) {
#pragma omp parallel for schedule(static)
  for (int i = 0; i < count; ++i) stamp(s, p, invert, images + static_cast<size_t>(i) * s.size());
}

void watermark_batch(const ImageShape& s, const WatermarkPattern& p, int b, int n_null, int n_true, const float* clean,
                     const int32_t* labels, float* out, int32_t* out_labels) {
  const size_t per = static_cast<size_t>(s.size());
  float* null_out = out + per * b;
  float* true_out = null_out + per * n_null;
#pragma omp parallel for schedule(static)
  for (int i = 0; i < b; ++i) {
    const float* src = clean + per * i;  // read once, written up to three times while in cache
    std::memcpy(out + per * i, src, per * sizeof(float));
    out_labels[i] = labels[i];
    if (i < n_null) {
      std::memcpy(null_out + per * i, src, per * sizeof(float));
      stamp(s, p, false, null_out + per * i);
      out_labels[b + i] = labels[i];
    }
    if (i < n_true) {
      std::memcpy(true_out + per * i, src, per * sizeof(float));
      stamp(s, p, true, true_out + per * i);
      out_labels[b + n_null + i] = p.label;
    }
  }
}

}  // namespace nullmark::cpu
