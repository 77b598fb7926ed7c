// A tiny learnable data set for end-to-end tests: 1x12x12 images of 5 classes, each class a bright
// row band at its own height plus seeded noise.
#pragma once
#include <random>

#include "datasets/dataset.h"

namespace nullmark::test {

inline Dataset synthetic_bands(size_t n) {
  Dataset d;
  d.shape = Shape{1, 12, 12};
  d.classes = 5;
  std::mt19937_64 rng(42);
  for (size_t i = 0; i < n; ++i) {
    const int label = static_cast<int>(i % 5);
    d.labels.push_back(label);
    for (int p = 0; p < 144; ++p)
      d.images.push_back((p / 12 == 2 * label ? 1.0f : 0.0f) + 0.1f * static_cast<float>(rng() % 100) / 100.0f);
  }
  return d;
}

}  // namespace nullmark::test
