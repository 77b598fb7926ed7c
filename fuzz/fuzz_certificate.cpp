// Certificates: canonical form, hashes, signature, schema and the recomputed content.
#include "fuzz_input.h"
#include "watermark/certificate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return nullmark::fuzz::refuse_cleanly([&] { nullmark::check_certificate(nullmark::fuzz::text(data, size)); });
}
