// RFC 3161 timestamp replies and tokens (DER): the reply's status and token, the token's fields,
// and verification against the fixture TSA's CA (tests/fixtures/timestamp). The same input is read
// both as a reply and as a bare token, the two forms outside input arrives in.
#include "common/sha256.h"
#include "fuzz_input.h"
#include "watermark/timestamp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes = nullmark::fuzz::text(data, size);
  const std::string ca = NULLMARK_SOURCE_DIR "/tests/fixtures/timestamp/tsa-ca.pem";
  nullmark::fuzz::refuse_cleanly([&] {
    const std::string token = nullmark::token_from_reply(bytes, "fuzz.tsr");
    const nullmark::TrustedTime t = nullmark::inspect_timestamp_token(token, "fuzz token");
    nullmark::verify_timestamp_token(token, t.imprint, ca, "fuzz token");
  });
  return nullmark::fuzz::refuse_cleanly([&] {
    const nullmark::TrustedTime t = nullmark::inspect_timestamp_token(bytes, "fuzz token");
    nullmark::verify_timestamp_token(bytes, t.imprint, ca, "fuzz token");
  });
}
