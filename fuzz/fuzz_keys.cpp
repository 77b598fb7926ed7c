// Key files (secret and public) and trust files.
#include "fuzz_input.h"
#include "watermark/keys.h"
#include "watermark/trust.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = nullmark::fuzz::as_file(data, size, ".key");
  nullmark::fuzz::refuse_cleanly([&] { nullmark::load_secret_key(path); });
  nullmark::fuzz::refuse_cleanly([&] { nullmark::load_public_key(path); });
  return nullmark::fuzz::refuse_cleanly([&] { nullmark::load_trust_file(path); });
}
