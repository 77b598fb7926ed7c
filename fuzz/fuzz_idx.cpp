// IDX image and label files, raw or gzip-compressed (the decompression cap included).
#include "datasets/idx.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = nullmark::fuzz::as_file(data, size, ".idx");
  nullmark::fuzz::refuse_cleanly([&] { nullmark::read_idx(path, 3); });
  return nullmark::fuzz::refuse_cleanly([&] { nullmark::read_idx(path, 1); });
}
