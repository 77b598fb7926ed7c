// ONNX models: protobuf parsing, graph walking (forks, joins, cycles), operator attributes,
// initializer sizes and types, metadata, and the network the converted config builds.
#include "fuzz_input.h"
#include "interop/onnx_import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes = nullmark::fuzz::text(data, size);
  return nullmark::fuzz::refuse_cleanly([&] { nullmark::onnx_import(bytes, "fuzz.onnx"); });
}
