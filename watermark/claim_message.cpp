#include "watermark/claim_message.h"

#include <cstdint>
#include <cstring>

#include "common/error.h"
#include "watermark/claim.h"

namespace nullmark {

namespace {
void be32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 255);
}
void text(std::string& out, const std::string& s) {
  be32(out, static_cast<uint32_t>(s.size()));
  out += s;
}
}  // namespace

std::string claim_message(const Claim& c) {
  if (c.version == 1) return c.verifier;
  NM_CHECK(c.version == 2, "claim version ", c.version, " has no signed message");
  NM_CHECK(c.input.size() == 3, "a v2 claim names the model's input shape as C x H x W");
  std::string m("nullmark-claim-v2", 17);
  m += '\0';
  text(m, c.verifier);
  be32(m, static_cast<uint32_t>(c.n));
  const float lambda = static_cast<float>(c.lambda);
  uint32_t bits;
  std::memcpy(&bits, &lambda, sizeof bits);
  be32(m, bits);
  text(m, c.space);
  for (int d : c.input) be32(m, static_cast<uint32_t>(d));
  be32(m, static_cast<uint32_t>(c.classes));
  return m;
}

}  // namespace nullmark
