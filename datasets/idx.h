// Reader for the IDX format of MNIST and Fashion-MNIST, gzip-compressed or raw (zlib reads both).
// Validates the magic number (unsigned-byte type, expected rank), the dimensions and the exact
// payload size, and names the file and the problem on any mismatch.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nullmark {

struct IdxArray {
  std::vector<int> dims;
  std::vector<uint8_t> data;
};

// The most data bytes an IDX header may promise (MNIST's training images are 47 MB).
constexpr uint64_t kMaxIdxBytes = uint64_t(1) << 30;

// Reads the whole (decompressed) file; throws naming the file if it cannot be read or is damaged,
// or if it inflates past max_bytes (memory stays within max_bytes plus one read buffer).
// `limit` says what sets max_bytes, for the message.
std::string read_maybe_gzip(const std::string& path, size_t max_bytes, const std::string& limit);
// rank 3 for image files (magic 0x00000803), rank 1 for label files (0x00000801).
IdxArray read_idx(const std::string& path, int rank);

}  // namespace nullmark
