// Claim files (v1 and v2): strict parsing, the signature check, and the watermark a claim derives.
#include "fuzz_input.h"
#include "watermark/claim.h"
#include "watermark/embedding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return nullmark::fuzz::refuse_cleanly([&] {
    const nullmark::Claim c = nullmark::claim_from_json(nullmark::fuzz::text(data, size), "fuzz.json");
    c.signature_valid();
    const nullmark::Shape shape = c.version == 2 ? nullmark::Shape(c.input) : nullmark::Shape{1, 28, 28};
    nullmark::watermark_pattern(c, shape, c.version == 2 ? c.classes : 10);
  });
}
