// The real data sets in ../shared/data, read through the same readers (this executable is
// registered only when that folder exists, so a missing data set shows as a missing test).
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>

#include "datasets/dataset.h"

using namespace nullmark;

namespace {
DataConfig config(const std::string& type, const std::string& dir) {
  DataConfig c;
  c.type = type;
  c.path = std::string(NULLMARK_SHARED_DATA) + "/" + dir;
  return c;
}
std::map<int, long> counts(const Dataset& d) {
  std::map<int, long> m;
  for (int32_t l : d.labels) ++m[l];
  return m;
}
}  // namespace

TEST_CASE("shared MNIST: 60k/10k, labels 0-9", "[shared-data]") {
  DataConfig c = config("mnist", "mnist");
  resolve_normalisation(c);
  CHECK(load_dataset(c, Split::Train).size() == 60000);
  CHECK(counts(load_dataset(c, Split::Test)).size() == 10);
}

TEST_CASE("shared CIFAR-10: test batch has 1000 images of each class", "[shared-data]") {
  DataConfig c = config("cifar-10", "cifar-10");
  resolve_normalisation(c);
  const Dataset test = load_dataset(c, Split::Test);
  CHECK(test.size() == 10000);
  for (const auto& kv : counts(test)) CHECK(kv.second == 1000);
  CHECK(load_dataset(c, Split::Train).size() % 10000 == 0);  // data_batch_1 at least
}

TEST_CASE("shared GTSRB: 19605 train / 12630 test records in 43 classes", "[shared-data]") {
  DataConfig c = config("gtsrb", "gtsrb");
  REQUIRE(resolve_normalisation(c));  // no standard statistics: computed
  for (int ch = 0; ch < 3; ++ch) CHECK((c.mean[ch] > 0.1 && c.mean[ch] < 0.9));
  CHECK(load_dataset(c, Split::Train).size() == 19605);
  const Dataset test = load_dataset(c, Split::Test);
  CHECK(test.size() == 12630);
  CHECK(counts(test).size() == 43);
}

TEST_CASE("shared ORL faces: 40 people, 280 / 120 split", "[shared-data]") {
  DataConfig c = config("orl-faces", "orl-faces");
  resolve_normalisation(c);
  CHECK(load_dataset(c, Split::Train).size() == 280);
  CHECK(counts(load_dataset(c, Split::Test)).size() == 40);
}
