// The chunked forward's tiling when tilings are measured (kernels/cuda/conv_chunked_tuning.h): the
// fastest candidate by the timing it is given, kept per shape, and the model's choice where nothing
// may be timed. A table of made-up times stands in for the card, so this runs without a GPU.
#include <catch2/catch.hpp>
#include <limits>
#include <vector>

#include "kernels/cuda/conv_chunked_tuning.h"

using namespace nullmark;
using cuda::ChunkTiling;

namespace {
Conv2dShape object_64ch(int n) {
  Conv2dShape s;
  s.n = n, s.c = s.f = 64, s.h = s.w = 8, s.kh = s.kw = 3, s.stride = 1, s.pad = 1;
  return s;
}
}  // namespace

TEST_CASE("chunked tilings: the fastest measured one is kept per shape", "[conv2d][tuning]") {
  const Conv2dShape s = object_64ch(384);
  const std::vector<ChunkTiling> all = cuda::chunk_busy_tilings(s);
  REQUIRE(all.size() > 3);
  const ChunkTiling model = cuda::chunk_spread_tiling(s);
  // Made-up times: the third candidate that is not the model's is fastest; one is ruled out.
  ChunkTiling fastest{}, ruled_out{};
  int others = 0;
  for (const ChunkTiling& t : all)
    if (t != model) {
      if (++others == 3) fastest = t;
      if (others == 1) ruled_out = t;
    }
  int timed = 0;
  auto time = [&](const ChunkTiling& t) {
    ++timed;
    if (t == ruled_out) return std::numeric_limits<double>::infinity();
    return t == fastest ? 0.05 : 0.1 + 0.001 * t.imgs;
  };
  cuda::ChunkTilingCache cache;
  CHECK(cache.pick(s, true, time) == fastest);
  CHECK(timed == static_cast<int>(all.size()));  // every candidate once, the model's among them
  CHECK(cache.size() == 1);
  // Kept: no more timing for the shape, measured or not; the fused ReLU does not make a new shape.
  Conv2dShape relu = s;
  relu.relu = true;
  CHECK(cache.pick(relu, true, time) == fastest);
  CHECK(cache.pick(s, false, time) == fastest);
  CHECK(timed == static_cast<int>(all.size()));
  // Another batch size is another shape, measured anew.
  const int before = timed;
  cache.pick(object_64ch(128), true, time);
  CHECK(timed > before);
  CHECK(cache.size() == 2);
}

TEST_CASE("chunked tilings: ties go to the model's choice, and nothing is kept without measuring",
          "[conv2d][tuning]") {
  const Conv2dShape s = object_64ch(384);
  int timed = 0;
  cuda::ChunkTilingCache cache;
  // Not measured (during a graph capture, or cuda.conv_tiling: model): the model's, not kept.
  CHECK(cache.pick(s, false, [&](const ChunkTiling&) { return ++timed, 1.0; }) == cuda::chunk_spread_tiling(s));
  CHECK(timed == 0);
  CHECK(cache.size() == 0);
  // Every candidate equally fast: the model's choice, which is timed first.
  std::vector<ChunkTiling> order;
  CHECK(cache.pick(s, true, [&](const ChunkTiling& t) { return order.push_back(t), 1.0; }) ==
        cuda::chunk_spread_tiling(s));
  REQUIRE_FALSE(order.empty());
  CHECK(order.front() == cuda::chunk_spread_tiling(s));
  CHECK(cache.size() == 1);
}

TEST_CASE("chunked tilings: a layer with no busy tiling keeps the model's without timing", "[conv2d][tuning]") {
  Conv2dShape s = object_64ch(1);
  s.f = 32;  // one image of 8x8 outputs, 32 filters: 64 tasks at most
  REQUIRE(cuda::chunk_busy_tilings(s).empty());
  int timed = 0;
  cuda::ChunkTilingCache cache;
  const ChunkTiling t = cache.pick(s, true, [&](const ChunkTiling&) { return ++timed, 1.0; });
  CHECK(t == cuda::chunk_fill_tiling(s));
  CHECK(timed == 0);  // the model's (Fill here) is the only candidate: nothing to time
  CHECK(cache.size() == 1);
}
