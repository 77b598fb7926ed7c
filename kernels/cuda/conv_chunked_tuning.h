// The tiling the channel-chunked forward convolution takes for each shape when tilings are measured
// (cuda::ConvTiling::Measured): the first time a shape runs outside a graph capture, every busy
// tiling (conv_chunked_tiling.h) is timed on the card and the fastest is kept by the CUDA context. All
// tilings give the same bits, so which one wins changes speed only. The model stays the choice
// during a capture and where tilings are not measured. Host-side; the timing is passed in, so
// tests/test_conv_chunked_tuning.cpp checks the choice without a GPU.
#pragma once
#include <array>
#include <utility>
#include <vector>

#include "kernels/conv2d.h"
#include "kernels/cuda/conv_chunked_tiling.h"

namespace nullmark::cuda {

// The sizes a tiling's speed depends on (not the fused ReLU): the key of a shape's measured tiling,
// and of its plans with the ReLU and tiling added (kernels/conv2d_cuda.cu).
using ConvSizeKey = std::array<int, 9>;
inline ConvSizeKey conv_size_key(const Conv2dShape& s) {
  return {s.n, s.c, s.h, s.w, s.f, s.kh, s.kw, s.stride, s.pad};
}

class ChunkTilingCache {
 public:
  // The tiling for shape s: the one kept for it; else, where `measure` holds, the fastest by
  // time(tiling) in milliseconds (ties to the earlier, the model's choice first; time() returns
  // infinity for a tiling it rules out), kept; else the model's choice, not kept (a later call
  // outside a capture still measures).
  template <class Time>
  ChunkTiling pick(const Conv2dShape& s, bool measure, Time&& time) {
    if (const ChunkTiling* kept = find(s)) return *kept;
    const ConvSizeKey k = conv_size_key(s);
    const ChunkTiling model = chunk_spread_tiling(s);
    if (!measure) return model;
    std::vector<ChunkTiling> candidates{model};
    for (const ChunkTiling& t : chunk_busy_tilings(s))
      if (t != model) candidates.push_back(t);
    ChunkTiling best = model;
    if (candidates.size() > 1) {  // nothing to time where the model's is the only one
      double best_ms = time(model);
      for (size_t i = 1; i < candidates.size(); ++i) {
        const double ms = time(candidates[i]);
        if (ms < best_ms) best = candidates[i], best_ms = ms;
      }
    }
    kept_.emplace_back(k, best);
    return best;
  }
  // The tiling kept for shape s, or null.
  const ChunkTiling* find(const Conv2dShape& s) const {
    const ConvSizeKey k = conv_size_key(s);
    for (const auto& [shape, tiling] : kept_)
      if (shape == k) return &tiling;
    return nullptr;
  }
  size_t size() const { return kept_.size(); }

 private:
  std::vector<std::pair<ConvSizeKey, ChunkTiling>> kept_;
};

}  // namespace nullmark::cuda
