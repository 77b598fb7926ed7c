// Random crop with padding and horizontal flip: every output pixel is the shifted (and mirrored)
// input or padding, draws are reproducible from the seed, and they vary across images.
#include <catch2/catch.hpp>
#include <set>
#include <vector>

#include "kernels/augment.h"

using namespace nullmark;

TEST_CASE("crop with padding and flip move pixels as drawn", "[augment]") {
  const ImageShape s{2, 5, 7};
  const int n = 40, pad = 2;
  std::vector<float> in(static_cast<size_t>(n) * s.size()), out(in.size());
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i + 1);  // all non-zero, all distinct
  cpu::augment_crop_flip(s, n, pad, true, 9, 100, in.data(), out.data());
  std::set<std::pair<int, int>> shifts;
  int flips = 0;
  size_t wrong = 0;
  for (int i = 0; i < n; ++i) {
    const cpu::CropFlip c = cpu::crop_flip_draw(9, 100 + i, pad, true);
    CHECK(std::abs(c.dy) <= pad);
    CHECK(std::abs(c.dx) <= pad);
    shifts.insert({c.dy, c.dx});
    flips += c.flip;
    for (int ch = 0; ch < s.c; ++ch)
      for (int y = 0; y < s.h; ++y)
        for (int x = 0; x < s.w; ++x) {
          const int sy = y + c.dy, sx = (c.flip ? s.w - 1 - x : x) + c.dx;
          const bool inside = sy >= 0 && sy < s.h && sx >= 0 && sx < s.w;
          const size_t o = static_cast<size_t>(i) * s.size() + (ch * s.h + y) * s.w + x;
          const float want = inside ? in[static_cast<size_t>(i) * s.size() + (ch * s.h + sy) * s.w + sx] : 0.0f;
          wrong += out[o] != want;
        }
  }
  CHECK(wrong == 0);
  CHECK(shifts.size() > 10);  // 25 possible shifts, 40 draws
  CHECK(flips > 5);
  CHECK(flips < 35);
  // Reproducible from (seed, index); no padding and no flip is the identity.
  std::vector<float> again(in.size()), same(in.size());
  cpu::augment_crop_flip(s, n, pad, true, 9, 100, in.data(), again.data());
  CHECK(again == out);
  cpu::augment_crop_flip(s, n, 0, false, 9, 100, in.data(), same.data());
  CHECK(same == in);
}
