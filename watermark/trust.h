// Pinned certifiers: the public keys whose signature on a certificate makes it "trusted". A
// signature alone proves only that someone holding the key in the certificate signed it; anyone
// can re-sign an edited certificate with a key of their own. Trust comes from the verifier naming
// the keys it accepts, one by one (`verify-cert --certifier PUB`) or in a trust file:
//   {"format": "nullmark-trust", "version": 1,
//    "certifiers": [{"name": "Acme audit lab", "public_key": "<64 hex digits>"}, ...]}
#pragma once
#include <string>
#include <vector>

#include "watermark/keys.h"

namespace nullmark {

struct TrustedCertifier {
  std::string name;
  PublicKey public_key{};
};

// Strict: unknown fields, a missing or empty name, a bad key or a key listed twice are refused,
// naming the file and the entry.
std::vector<TrustedCertifier> load_trust_file(const std::string& path);

}  // namespace nullmark
