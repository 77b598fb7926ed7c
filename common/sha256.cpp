#include "common/sha256.h"

#include <cstdint>
#include <sodium.h>

#include "common/error.h"

namespace nullmark {

void ensure_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw Error("libsodium could not be initialised");
}

Digest sha256(const void* data, size_t size) {
  ensure_sodium();
  Digest d;
  crypto_hash_sha256(d.data(), static_cast<const unsigned char*>(data), size);
  return d;
}

std::string to_hex(const uint8_t* data, size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 15];
  }
  return out;
}

}  // namespace nullmark
