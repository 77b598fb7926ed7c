// The overlap of two watermark patterns, which the piracy driver reports per pirate key.
#include <catch2/catch.hpp>
#include <vector>

#include "common/error.h"
#include "watermark/overlap.h"

using namespace nullmark;

namespace {
Watermark pattern(int row, int col, int n, std::vector<uint8_t> bits) {
  Watermark w;
  w.shape = ImageShape{1, 10, 10};
  w.row = row, w.col = col, w.n = n;
  w.bits = std::move(bits);
  return w;
}
}  // namespace

TEST_CASE("pattern overlap counts shared pixels and where their bits agree", "[watermark]") {
  // a: 3x3 at (2, 2), rows 101 / 010 / 111. b: 2x2 at (3, 3), rows 10 / 10, covers a's cells
  // (1,1)=1, (1,2)=0, (2,1)=1, (2,2)=1; b's bits there agree at (1,1), (1,2), (2,1) and differ at
  // (2,2). Either pattern read transposed would agree at one cell only.
  const Watermark a = pattern(2, 2, 3, {1, 0, 1, 0, 1, 0, 1, 1, 1});
  const Watermark b = pattern(3, 3, 2, {1, 0, 1, 0});
  const PatternOverlap o = pattern_overlap(a, b);
  CHECK(o.pixels == 4);
  CHECK(o.agreeing == 3);
  CHECK(o.conflicting() == 1);
  // Symmetric.
  const PatternOverlap r = pattern_overlap(b, a);
  CHECK(r.pixels == 4);
  CHECK(r.agreeing == 3);
  // A pattern against itself agrees everywhere; against its inverse nowhere.
  CHECK(pattern_overlap(a, a).agreeing == 9);
  CHECK(pattern_overlap(a, pattern(2, 2, 3, {0, 1, 0, 1, 0, 1, 0, 0, 0})).agreeing == 0);
}

TEST_CASE("pattern overlap of squares that only touch or lie apart is empty", "[watermark]") {
  const Watermark a = pattern(0, 0, 3, std::vector<uint8_t>(9, 1));
  CHECK(pattern_overlap(a, pattern(3, 0, 3, std::vector<uint8_t>(9, 1))).pixels == 0);  // edge to edge
  CHECK(pattern_overlap(a, pattern(0, 3, 2, std::vector<uint8_t>(4, 1))).pixels == 0);
  CHECK(pattern_overlap(a, pattern(7, 7, 3, std::vector<uint8_t>(9, 1))).pixels == 0);
  CHECK(pattern_overlap(a, pattern(2, 2, 3, std::vector<uint8_t>(9, 1))).pixels == 1);  // corner cell only
}

TEST_CASE("pattern overlap refuses watermarks for different inputs", "[watermark]") {
  Watermark a = pattern(0, 0, 2, {1, 1, 1, 1}), b = a;
  b.shape = ImageShape{1, 12, 10};
  CHECK_THROWS_WITH(pattern_overlap(a, b), Catch::Contains("different inputs"));
}
