// Readers for label-prefixed record files (gzip or raw): CIFAR-10 (data_batch_1..5 / test_batch),
// GTSRB (train / test) and ORL faces (one file; images 1-7 of each person train, 8-10 test).
// Sizes and labels are validated; errors name the file and the record.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "datasets/formats.h"

namespace nullmark {

struct RawImages {
  std::vector<uint8_t> pixels;  // N * C*H*W, planar (all of channel 0, then channel 1, ...)
  std::vector<int32_t> labels;
};

// Appends the records of one file to `out`.
// The most bytes one record file may inflate to (a CIFAR-10 batch is 30.7 MB): a larger file is
// refused before it is held in memory.
constexpr size_t kMaxRecordFileBytes = size_t(1) << 28;
void read_records(const std::string& path, const DataFormat& f, RawImages& out);
// The train or test split of a record data set in directory `dir`.
RawImages load_record_split(const std::string& dir, const DataFormat& f, bool train);

}  // namespace nullmark
