// An in-memory labelled image set, already normalised to float32 NCHW, and the `data:` config
// section that says which set to load and how to normalise it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/strict_yaml.h"
#include "nn/tensor.h"

namespace nullmark {

struct Dataset {
  std::string name;  // e.g. "mnist:data/mnist/test"
  Shape shape;       // per-sample C, H, W
  int classes = 0;
  std::vector<float> images;
  std::vector<int32_t> labels;
  size_t size() const { return labels.size(); }
  const float* image(size_t i) const { return images.data() + i * shape.numel(); }
};

enum class Split { Train, Test };

struct DataConfig {
  std::string type = "mnist";  // see datasets/formats.cpp: mnist, fashion-mnist, cifar-10, gtsrb, orl-faces
  std::string path = "data/mnist";
  std::vector<double> mean, std;  // per channel, on the [0, 1] pixel scale; empty until resolved
  long train_limit = 0;           // use only the first N samples (0 = all): quick runs and tests
  long test_limit = 0;
  static DataConfig read(ConfigMap cfg);
};

// Fills in mean/std computed from the training split when the config gave none (and the set has no
// standard values); returns true if it did.
bool resolve_normalisation(DataConfig& cfg);
Dataset load_dataset(const DataConfig& cfg, Split split);

}  // namespace nullmark
