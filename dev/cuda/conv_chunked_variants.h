// The channel-chunked forward convolution (kernels/cuda/conv_direct_chunked.h) in the forms measured
// before the one conv2d_forward takes, kept for comparison: plans of the same program that differ in
// staging (one buffer: load a chunk, then wait), tiling (full blocks: the widest filter tile and as
// many images as fill 256 threads) or the warps' span (across images, or across filter groups,
// whatever the plan would choose). Every form adds each sum's products in the same order, so all
// give the same bits. dev/cuda/conv_chunked_variants.cu checks each against the CPU, then times it;
// tests/test_conv_direct.cpp runs them through the CPU emulation of the kernel.
#pragma once
#include <string>
#include <vector>

#include "kernels/conv2d.h"
#include "kernels/cuda/conv_chunked_tiling.h"
#include "kernels/cuda/conv_direct_chunked.h"

namespace nullmark::dev {

struct ChunkedVariant {
  std::string name;
  cuda::DirectFwdChunked plan;
};

// The plan with its warps laid across filter groups (true) or images (false).
inline cuda::DirectFwdChunked warps_across(cuda::DirectFwdChunked d, bool filters) {
  d.span_warps(filters);
  return d;
}

// The product's plan first, then the other forms (a form whose plan is the product's is still
// listed: the program then runs it twice).
inline std::vector<ChunkedVariant> chunked_variants(const Conv2dShape& s) {
  using Plan = cuda::DirectFwdChunked;
  const cuda::ChunkTiling spread = cuda::chunk_spread_tiling(s), fill = cuda::chunk_fill_tiling(s);
  return {{"chunked", Plan::plan(s)},
          {"chunked, one buffer", Plan::plan(s, spread, 1)},
          {"chunked, warps across images", warps_across(Plan::plan(s), false)},
          {"chunked, warps across filter groups", warps_across(Plan::plan(s), true)},
          {"chunked, full blocks", Plan::plan(s, fill)},
          {"chunked, full blocks, one buffer, warps across images (first measured)",
           warps_across(Plan::plan(s, fill, 1), false)}};
}

}  // namespace nullmark::dev
