#include <cstddef>
#include <cstdint>

#include "kernels/augment.h"
#include "kernels/counter_hash.h"

namespace nullmark::cpu {

void augment_crop_flip(const ImageShape& s, int n, int pad, bool flip, uint64_t seed, uint64_t first, const float* in,
                       float* out) {
  const size_t per = static_cast<size_t>(s.size()), plane = static_cast<size_t>(s.h) * s.w;
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n; ++i) {
    const CropFlip c = crop_flip_draw(seed, first + i, pad, flip);
    for (int ch = 0; ch < s.c; ++ch) {
      const float* src = in + i * per + ch * plane;
      float* dst = out + i * per + ch * plane;
      for (int y = 0; y < s.h; ++y)
        for (int x = 0; x < s.w; ++x) {
          const int sy = y + c.dy, sx = (c.flip ? s.w - 1 - x : x) + c.dx;
          dst[y * s.w + x] = (sy >= 0 && sy < s.h && sx >= 0 && sx < s.w) ? src[sy * s.w + sx] : 0.0f;
        }
    }
  }
}

}  // namespace nullmark::cpu
