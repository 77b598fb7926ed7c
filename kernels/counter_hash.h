// Counter-based randomness for kernels: the splitmix64 finaliser, a cheap, well-mixed 64-bit hash.
// Hashing (seed, step, index) instead of drawing from a stream makes random masks and augmentation
// independent of thread count and exactly replayable when a run resumes.
#pragma once
#include <cstdint>

namespace nullmark::cpu {

inline uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace nullmark::cpu
