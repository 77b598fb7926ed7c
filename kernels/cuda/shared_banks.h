// How many wavefronts a warp's shared-memory load takes: shared memory has 32 banks of 4 bytes and
// serves, per pass (wavefront), one address in each bank; lanes that read the same address share
// it (a broadcast). A float load of a warp therefore takes as many passes as the most distinct
// addresses any one bank holds; a float4 load serves 8 sixteen-byte slots (4 banks each) a pass, so
// it takes as many as the most distinct float4s any slot holds (4 for 32 lanes reading 32
// consecutive float4s, 1 for lanes all reading one). Host-side: kernel plans use it to lay their
// threads out (conv_direct_chunked.h), tests to check the layouts.
#pragma once
#include <algorithm>
#include <array>
#include <vector>

namespace nullmark::cuda {

// `addr`: the float index each active lane reads; `width`: floats a lane reads (1 or 4, aligned).
inline int shared_load_wavefronts(const std::vector<int>& addr, int width) {
  const int slots = 32 / width;
  std::array<std::vector<int>, 32> seen{};  // distinct addresses by slot
  int most = 0;
  for (int a : addr) {
    std::vector<int>& in_slot = seen[static_cast<size_t>((a / width) % slots)];
    if (std::find(in_slot.begin(), in_slot.end(), a) == in_slot.end()) in_slot.push_back(a);
    most = std::max(most, static_cast<int>(in_slot.size()));
  }
  return most;
}

}  // namespace nullmark::cuda
