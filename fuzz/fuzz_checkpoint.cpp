// Checkpoints: magic, version, checksum, header JSON, tensors, counts and finite weights.
#include "fuzz_input.h"
#include "nn/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = nullmark::fuzz::as_file(data, size, ".ckpt");
  return nullmark::fuzz::refuse_cleanly([&] { nullmark::load_checkpoint(path); });
}
