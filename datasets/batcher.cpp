#include "datasets/batcher.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>

#include "common/error.h"

namespace nullmark {

Batcher::Batcher(const Dataset& data, int batch_size, uint64_t seed, bool shuffle)
    : data_(data), batch_(batch_size), seed_(seed), shuffle_(shuffle), order_(data.size()) {
  std::iota(order_.begin(), order_.end(), 0u);
}

void Batcher::start_epoch(long epoch) {
  std::iota(order_.begin(), order_.end(), 0u);
  if (!shuffle_) return;
  // Fisher-Yates with our own index draw: std::shuffle's algorithm differs between libraries.
  std::mt19937_64 rng(seed_ * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(epoch) + 1);
  for (size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[rng() % i]);
}

std::pair<int, int> Batcher::shard_range(int m, int part, int parts) {
  const auto at = [&](int p) { return static_cast<int>(static_cast<long>(m) * p / parts); };
  return {at(part), at(part + 1)};
}

void Batcher::set_shard(int part, int parts) {
  NM_CHECK(parts >= 1 && part >= 0 && part < parts, "batcher: shard ", part, " of ", parts);
  NM_CHECK(parts <= batch_, "batcher: ", parts, " shards of a batch of ", batch_, " samples leave some empty");
  part_ = part;
  parts_ = parts;
}

int Batcher::batch_samples(long b) const {
  const size_t begin = static_cast<size_t>(b) * batch_;
  return static_cast<int>(std::min(order_.size(), begin + batch_) - begin);
}

std::pair<const uint32_t*, int> Batcher::rows(long b) const {
  const std::pair<int, int> shard = shard_range(batch_samples(b), part_, parts_);
  return {order_.data() + static_cast<size_t>(b) * batch_ + shard.first, shard.second - shard.first};
}

int Batcher::gather(long b, float* x, int32_t* y) const {
  // Plain variables, not a structured binding: OpenMP regions cannot capture bindings (clang).
  const std::pair<const uint32_t*, int> batch = rows(b);
  const uint32_t* ids = batch.first;
  const int n = batch.second;
  const size_t per = data_.shape.numel();
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n; ++i) {
    std::memcpy(x + static_cast<size_t>(i) * per, data_.image(ids[i]), per * sizeof(float));
    y[i] = data_.labels[ids[i]];
  }
  return n;
}

}  // namespace nullmark
