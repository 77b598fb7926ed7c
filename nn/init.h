// Parameter initialisation from a seeded 64-bit generator. Uniform draws are computed from the raw
// bits (not std::uniform_real_distribution, whose output differs between standard libraries), so a
// seed gives the same network everywhere.
#pragma once
#include <cmath>
#include <cstddef>
#include <random>

namespace nullmark {

inline float uniform01(std::mt19937_64& rng) { return static_cast<float>(rng() >> 40) * (1.0f / 16777216.0f); }

// PyTorch's default for conv and linear layers (kaiming_uniform with a = sqrt(5)):
// U(-1/sqrt(fan_in), +1/sqrt(fan_in)) for weights and biases alike. Using the same scheme keeps
// our runs comparable with PyTorch baselines and published recipes.
inline void fan_in_uniform(float* w, size_t count, size_t fan_in, std::mt19937_64& rng) {
  const float bound = 1.0f / std::sqrt(static_cast<float>(fan_in));
  for (size_t i = 0; i < count; ++i) w[i] = (2.0f * uniform01(rng) - 1.0f) * bound;
}

}  // namespace nullmark
