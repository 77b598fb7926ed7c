#include "watermark/overlap.h"

#include <algorithm>

#include "common/error.h"

namespace nullmark {

PatternOverlap pattern_overlap(const Watermark& a, const Watermark& b) {
  NM_CHECK(a.shape.h == b.shape.h && a.shape.w == b.shape.w, "pattern overlap of watermarks for different inputs (",
           a.shape.h, "x", a.shape.w, " and ", b.shape.h, "x", b.shape.w, ")");
  PatternOverlap o;
  const int r0 = std::max(a.row, b.row), r1 = std::min(a.row + a.n, b.row + b.n);
  const int c0 = std::max(a.col, b.col), c1 = std::min(a.col + a.n, b.col + b.n);
  for (int r = r0; r < r1; ++r)
    for (int c = c0; c < c1; ++c) {
      const uint8_t bit_a = a.bits[static_cast<size_t>(r - a.row) * a.n + (c - a.col)];
      const uint8_t bit_b = b.bits[static_cast<size_t>(r - b.row) * b.n + (c - b.col)];
      ++o.pixels;
      o.agreeing += bit_a == bit_b;
    }
  return o;
}

}  // namespace nullmark
