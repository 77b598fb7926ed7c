// Label-prefixed record files (CIFAR-10 batches), raw or gzip-compressed.
#include "datasets/formats.h"
#include "datasets/records.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = nullmark::fuzz::as_file(data, size, ".bin");
  nullmark::RawImages out;
  return nullmark::fuzz::refuse_cleanly([&] { nullmark::read_records(path, nullmark::data_format("cifar-10"), out); });
}
