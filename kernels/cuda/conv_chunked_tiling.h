// How the channel-chunked forward convolution (conv_direct_chunked.h) cuts a layer's work into
// blocks: the filters a block takes (a tile of filter groups of 8), the tiles, and the images a
// block takes. chunk_spread_tiling picks the tiling a model of the busiest SM's work rates fastest,
// and bench_kernels_cuda times every tiling that keeps a block busy beside the model's estimate.
// Host-side planning only.
#pragma once
#include <algorithm>
#include <vector>

#include "kernels/conv2d.h"
#include "kernels/cuda/conv_direct.h"

namespace nullmark::cuda {

constexpr int kChunkPixels = 4;             // output pixels a thread sums
constexpr int kChunkFilters = kFwdFilters;  // filters a thread sums

// Filter groups a tile, filter tiles, images a block.
struct ChunkTiling {
  int fgroups, slices, imgs;
  bool operator==(const ChunkTiling& o) const { return fgroups == o.fgroups && slices == o.slices && imgs == o.imgs; }
  bool operator!=(const ChunkTiling& o) const { return !(*this == o); }
};

// Pixel groups of an image (4 output pixels a group).
inline int chunk_pixel_groups(const Conv2dShape& s) { return (s.oh() * s.ow() + kChunkPixels - 1) / kChunkPixels; }
inline int chunk_filter_groups(const Conv2dShape& s) { return (s.f + kChunkFilters - 1) / kChunkFilters; }
// Tiles of equal size, as few as hold `fgroups` filter groups each.
inline ChunkTiling chunk_equal_tiles(const Conv2dShape& s, int fgroups, int imgs) {
  const int total = chunk_filter_groups(s), slices = (total + fgroups - 1) / fgroups;
  return {(total + slices - 1) / slices, slices, imgs};
}
// The widest filter tile within 256 threads, then as many images as fill them: the first measured
// form, and the spread tiling's fallback where no tiling keeps a block busy.
inline ChunkTiling chunk_fill_tiling(const Conv2dShape& s) {
  const int groups = chunk_pixel_groups(s);
  ChunkTiling t = chunk_equal_tiles(s, std::max(1, std::min(chunk_filter_groups(s), kDirectThreads / std::max(1, groups))), 1);
  t.imgs = std::max(1, std::min(s.n, kDirectThreads / std::max(1, groups * t.fgroups)));
  return t;
}
// Every tiling whose blocks keep 128 to 256 tasks (each tile width once).
inline std::vector<ChunkTiling> chunk_busy_tilings(const Conv2dShape& s) {
  const int groups = chunk_pixel_groups(s);
  std::vector<ChunkTiling> out;
  for (int fg = 1; fg <= chunk_filter_groups(s) && groups * fg <= kDirectThreads; ++fg) {
    if (chunk_equal_tiles(s, fg, 1).fgroups != fg) continue;  // the same tiles as a narrower fg
    for (int imgs = 1; imgs <= s.n && imgs * groups * fg <= kDirectThreads; ++imgs)
      if (imgs * groups * fg >= kDirectThreads / 2) out.push_back(chunk_equal_tiles(s, fg, imgs));
  }
  return out;
}
// The model of a tiling's time: the work on the busiest SM, counting kFillBlocks / 2 SMs (132:
// H100 and H200) and the blocks as dealt out evenly,
//   ceil(blocks / SMs) x threads a block x (instructions of a task's taps + of its share of staging),
// where a block stages its tile's weights and its images once. The costs are sm_90 instructions as
// compiled with pipelined staging: a tap 43 (32 multiply-adds and their loads), a staged weight 21
// and a staged image float 21 in the chunk loop. It counts both things the H100 measurements
// showed: blocks dealt unevenly (the 64-channel layer in 192 blocks, 1.45 an SM, ran 1.4 times
// slower per multiply-add than the 32-channel layer in 384), and staging (the same layer with one
// image and 64 filters a block stages 288 weights and 50 image floats a task). It leaves out
// latency: bench_kernels_cuda times every busy tiling of each layer, the data to check it against.
constexpr double kChunkTapCost = 43, kChunkWeightCost = 21, kChunkImageCost = 21;
inline double chunk_model_cost(const Conv2dShape& s, const ChunkTiling& t) {
  const int tasks = t.imgs * chunk_pixel_groups(s) * t.fgroups;
  const double taps = static_cast<double>(s.c) * s.kh * s.kw;
  const double image = static_cast<double>(s.c) * ((s.oh() - 1) * s.stride + s.kh) * ((s.ow() - 1) * s.stride + s.kw);
  const double staging = (kChunkWeightCost * t.fgroups * kChunkFilters * taps + kChunkImageCost * t.imgs * image) / tasks;
  const long sms = kFillBlocks / 2, blocks = static_cast<long>((s.n + t.imgs - 1) / t.imgs) * t.slices;
  return static_cast<double>((blocks + sms - 1) / sms) * round_up(tasks, 32) * (kChunkTapCost * taps + staging);
}
// The busy tiling the model rates fastest (the fill tiling where none keeps 128 tasks).
inline ChunkTiling chunk_spread_tiling(const Conv2dShape& s) {
  const std::vector<ChunkTiling> all = chunk_busy_tilings(s);
  if (all.empty()) return chunk_fill_tiling(s);
  return *std::min_element(all.begin(), all.end(), [&](const ChunkTiling& a, const ChunkTiling& b) {
    return chunk_model_cost(s, a) < chunk_model_cost(s, b);
  });
}

}  // namespace nullmark::cuda
