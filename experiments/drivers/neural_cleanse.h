// Neural Cleanse (Wang et al., IEEE S&P 2019): for every label t, reverse-engineer the smallest
// trigger (mask m over pixels, pattern p in the valid input range) that sends clean inputs to t,
//   min  CE(f((1 - m) * x + m * p), t) + beta * |m|_1 ,
// then flag labels whose mask norm is an outlier on the small side (MAD anomaly index > 2).
#pragma once
#include <cstdint>
#include <vector>

#include "datasets/dataset.h"
#include "nn/network.h"

namespace nullmark {

struct NcOptions {
  int steps = 300;
  int batch = 64;
  double lr = 0.1;
  double beta = 1e-2;   // weight of the mask's L1 norm (measured on digit: 1e-2 keeps ~97 % attack success)
  long samples = 2000;  // clean samples the triggers are optimised on
  uint64_t seed = 1;
};

struct NcTrigger {
  int label = 0;
  std::vector<float> mask;     // H*W, in [0, 1]
  std::vector<float> pattern;  // C*H*W, normalised input values
  double l1 = 0, success = 0;  // mask norm; share of samples sent to the label
  double anomaly = 0;
  bool flagged = false;
};

// lo / hi: per-channel valid range of the (normalised) input.
std::vector<NcTrigger> neural_cleanse(Network& net, const Dataset& data, const std::vector<float>& lo,
                                      const std::vector<float>& hi, const NcOptions& o);
// x' = (1 - m) x + m p for `count` images, in place.
void apply_trigger(const NcTrigger& t, const Shape& shape, size_t count, float* images);

}  // namespace nullmark
