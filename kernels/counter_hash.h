// Counter-based randomness for kernels: the splitmix64 finaliser, a cheap, well-mixed 64-bit hash.
// Hashing (seed, step, index) instead of drawing from a stream makes random masks and augmentation
// independent of thread count and exactly replayable when a run resumes. The functions are
// host-and-device inline, so the CPU kernels and their CUDA twins draw bit-identical masks and crops.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/host_device.h"

namespace nullmark {

NM_HOST_DEVICE inline uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Dropout: element i of call `step` is kept iff its hash, as a fraction of 2^32, is >= p.
NM_HOST_DEVICE inline bool dropout_keep(uint64_t seed, uint64_t step, size_t i, float p) {
  const uint64_t h = mix64(mix64(seed ^ mix64(step)) + i);
  const double u = static_cast<double>(h >> 32) / 4294967296.0;
  return u >= p;
}

// Augmentation: the crop offset and flip of the image at training position `index`.
struct CropFlip {
  int dy = 0, dx = 0;  // shift of the crop window, each in [-pad, pad]
  bool flip = false;
};
NM_HOST_DEVICE inline CropFlip crop_flip_draw(uint64_t seed, uint64_t index, int pad, bool flip) {
  const uint64_t h = mix64(mix64(seed ^ 0xa06e0000ULL) + index);
  CropFlip c;
  const uint64_t span = static_cast<uint64_t>(2 * pad + 1);
  c.dy = static_cast<int>((h & 0xffff) % span) - pad;
  c.dx = static_cast<int>(((h >> 16) & 0xffff) % span) - pad;
  c.flip = flip && ((h >> 32) & 1);
  return c;
}

}  // namespace nullmark
