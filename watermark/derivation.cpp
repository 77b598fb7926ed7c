#include "watermark/derivation.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "common/error.h"
#include "common/sha256.h"

namespace nullmark {

namespace {
Digest block(const std::string& tag, uint32_t j, const uint8_t* sig, size_t len) {
  std::string m = "nullmark-v1/" + tag;
  m += static_cast<char>(j >> 24);
  m += static_cast<char>((j >> 16) & 255);
  m += static_cast<char>((j >> 8) & 255);
  m += static_cast<char>(j & 255);
  m.append(reinterpret_cast<const char*>(sig), len);
  return sha256(m);
}

uint64_t u64(const std::string& tag, const uint8_t* sig, size_t len) {
  const Digest d = block(tag, 0, sig, len);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | d[i];
  return v;
}
}  // namespace

std::string bit_string(const Watermark& w) {
  std::string s;
  for (uint8_t b : w.bits) s += b ? '1' : '0';
  return s;
}

Watermark derive_watermark(const uint8_t* sig, size_t len, const ImageShape& shape, int classes, int n, float lambda) {
  NM_CHECK(classes >= 2, "watermark derivation needs at least 2 classes, got ", classes);
  NM_CHECK(n >= 1 && n <= std::min(shape.h, shape.w), "pattern size n = ", n, " does not fit a ", shape.h, "x", shape.w,
           " input (1 <= n <= ", std::min(shape.h, shape.w), ")");
  Watermark w;
  w.shape = shape;
  w.n = n;
  w.lambda = lambda;
  w.label = static_cast<int>(u64("label", sig, len) % static_cast<uint64_t>(classes));
  w.row = static_cast<int>(u64("row", sig, len) % static_cast<uint64_t>(shape.h - n + 1));
  w.col = static_cast<int>(u64("col", sig, len) % static_cast<uint64_t>(shape.w - n + 1));
  const size_t nbits = static_cast<size_t>(n) * n;
  std::vector<uint8_t> stream;
  for (uint32_t j = 0; stream.size() * 8 < nbits; ++j) {
    const Digest d = block("bits", j, sig, len);
    stream.insert(stream.end(), d.begin(), d.end());
  }
  w.bits.resize(nbits);
  for (size_t k = 0; k < nbits; ++k) w.bits[k] = (stream[k / 8] >> (7 - k % 8)) & 1;
  return w;
}

}  // namespace nullmark
