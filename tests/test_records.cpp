// Label-prefixed record readers (CIFAR-10 layout, also GTSRB and faces) on good and broken files,
// and normalisation computed from the training split.
#include <catch2/catch.hpp>

#include "datasets/dataset.h"
#include "error_of.h"
#include "temp_dir.h"

using namespace nullmark;
using nullmark::test::error_of;

namespace {
// n CIFAR-style records: label i % classes, channel c of record i filled with value 10*c + i.
std::string records(int n, int classes, int c = 3, int hw = 32 * 32) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    s += static_cast<char>(i % classes);
    for (int ch = 0; ch < c; ++ch) s += std::string(hw, static_cast<char>(10 * ch + i));
  }
  return s;
}
}  // namespace

TEST_CASE("CIFAR-10 records: all batches present are read, planar RGB, normalised", "[records]") {
  test::TempDir d;
  d.write("data_batch_1.bin", records(5, 10));
  d.write("data_batch_2.bin", records(3, 10));
  d.write("test_batch.bin", records(4, 10));
  DataConfig cfg;
  cfg.type = "cifar-10";
  cfg.path = d.path.string();
  cfg.mean = {0.0, 0.0, 0.0};
  cfg.std = {1.0, 1.0, 1.0};
  const Dataset train = load_dataset(cfg, Split::Train);
  CHECK(train.size() == 8);
  CHECK(train.shape == Shape{3, 32, 32});
  CHECK(train.labels[6] == 1);                             // record 1 of the second batch
  CHECK(train.image(2)[0] == Approx(2 / 255.0f));          // channel 0 of record 2
  CHECK(train.image(2)[2 * 1024] == Approx(22 / 255.0f));  // channel 2 of record 2
  CHECK(load_dataset(cfg, Split::Test).size() == 4);
}

TEST_CASE("record files: truncation and labels out of range are named", "[records]") {
  test::TempDir d;
  DataConfig cfg;
  cfg.type = "gtsrb";
  cfg.path = d.path.string();
  cfg.mean = {0.5, 0.5, 0.5};
  cfg.std = {0.25, 0.25, 0.25};
  d.write("train.bin", records(3, 43).substr(0, 3 * 3073 - 5));
  CHECK_THAT(error_of([&] { load_dataset(cfg, Split::Train); }),
             Catch::Contains("train.bin: 9214 bytes is not a whole number of 3073-byte records"));
  std::string bad = records(3, 43);
  bad[3073] = 43;  // record 1 gets label 43 of 43 classes
  d.write("train.bin", bad);
  CHECK_THAT(error_of([&] { load_dataset(cfg, Split::Train); }),
             Catch::Contains("label 43 of record 1 is outside the 43 classes"));
  CHECK_THAT(error_of([&] { load_dataset(cfg, Split::Test); }), Catch::Contains("cannot open GTSRB data"));
}

TEST_CASE("normalisation is computed from the training split when not given", "[records]") {
  test::TempDir d;
  d.write("train.bin", records(2, 43));  // channel 0 holds 0 and 1, channel 1 holds 10 and 11, ...
  DataConfig cfg;
  cfg.type = "gtsrb";
  cfg.path = d.path.string();
  REQUIRE(resolve_normalisation(cfg));
  REQUIRE(cfg.mean.size() == 3);
  CHECK(cfg.mean[0] == Approx(0.5 / 255));
  CHECK(cfg.mean[1] == Approx(10.5 / 255));
  CHECK(cfg.std[2] == Approx(0.5 / 255));
  CHECK_FALSE(resolve_normalisation(cfg));  // already resolved
}

TEST_CASE("faces: images 1-7 of each person train, 8-10 test", "[records]") {
  test::TempDir d;
  std::string s;
  for (int person = 0; person < 40; ++person)
    for (int k = 0; k < 10; ++k) s += static_cast<char>(person) + std::string(112 * 92, static_cast<char>(k));
  d.write("faces.bin", s);
  DataConfig cfg;
  cfg.type = "orl-faces";
  cfg.path = d.path.string();
  cfg.mean = {0.0};
  cfg.std = {1.0};
  const Dataset train = load_dataset(cfg, Split::Train), test = load_dataset(cfg, Split::Test);
  CHECK(train.size() == 280);
  CHECK(test.size() == 120);
  CHECK(test.shape == Shape{1, 112, 92});
  CHECK(test.labels[3] == 1);                     // person 1's first test image
  CHECK(test.image(3)[0] == Approx(7 / 255.0f));  // ... is image 8 (k = 7)
}
