// Seeded shuffling and batch assembly. The order of epoch e depends only on (seed, e), so a run
// resumed at epoch e sees exactly the batches the uninterrupted run would have seen.
// Data-parallel training splits every batch into contiguous shards, one per rank: together the
// ranks see exactly the batches of one process, in the same order.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "datasets/dataset.h"

namespace nullmark {

class Batcher {
 public:
  Batcher(const Dataset& data, int batch_size, uint64_t seed, bool shuffle);
  void start_epoch(long epoch);
  long batches() const { return static_cast<long>((order_.size() + batch_ - 1) / batch_); }
  // Copies batch b of the current epoch (this batcher's shard of it) into x / y; returns the
  // number of samples copied (the last batch may be short).
  int gather(long b, float* x, int32_t* y) const;
  // The data set's rows that gather(b) copies, in order: a pointer into the epoch's order and their
  // count (a feed that holds the data set on the GPU gathers these rows there).
  std::pair<const uint32_t*, int> rows(long b) const;
  const Dataset& data() const { return data_; }
  int batch_size() const { return batch_; }

  // From now on gather() copies only shard `part` of `parts` of each batch.
  void set_shard(int part, int parts);
  int shard() const { return part_; }
  int shards() const { return parts_; }
  // Samples in batch b over all shards, and the position of this shard's first one in it.
  int batch_samples(long b) const;
  int shard_begin(long b) const { return shard_range(batch_samples(b), part_, parts_).first; }
  // Shard `part` of `parts` of a batch of m samples: [first, second). Sizes differ by at most one.
  static std::pair<int, int> shard_range(int m, int part, int parts);

 private:
  const Dataset& data_;
  int batch_;
  uint64_t seed_;
  bool shuffle_;
  std::vector<uint32_t> order_;
  int part_ = 0, parts_ = 1;
};

}  // namespace nullmark
