// Seeded shuffling and batch assembly. The order of epoch e depends only on (seed, e), so a run
// resumed at epoch e sees exactly the batches the uninterrupted run would have seen.
#pragma once
#include <cstdint>
#include <vector>

#include "datasets/dataset.h"

namespace nullmark {

class Batcher {
 public:
  Batcher(const Dataset& data, int batch_size, uint64_t seed, bool shuffle);
  void start_epoch(long epoch);
  long batches() const { return static_cast<long>((order_.size() + batch_ - 1) / batch_); }
  // Copies batch b of the current epoch into x / y; returns its size (the last may be short).
  int gather(long b, float* x, int32_t* y) const;
  int batch_size() const { return batch_; }

 private:
  const Dataset& data_;
  int batch_;
  uint64_t seed_;
  bool shuffle_;
  std::vector<uint32_t> order_;
};

}  // namespace nullmark
