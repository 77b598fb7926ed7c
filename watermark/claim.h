// A watermark claim: the owner's verifier string, its Ed25519 signature, the owner's public key and
// the embedding parameters (pattern size n, stamp value lambda, and the space lambda lives in). The
// signature is the secret the watermark is derived from; anyone can check it against the public key.
#pragma once
#include <string>

#include "watermark/keys.h"

namespace nullmark {

struct Claim {
  std::string verifier;
  Signature signature{};
  PublicKey public_key{};
  int n = 6;
  double lambda = 2000.0;
  // "normalized": +-lambda is written into the model's (normalised) input, spec v1's stamping.
  // "raw": +-lambda is a raw pixel value (the [0, 1] scale), mapped through the data's normalisation
  // before it is written. A claim file without the field is "normalized".
  std::string space = "normalized";
  bool signature_valid() const { return verify_message(public_key, verifier, signature); }
};

Claim make_claim(const KeyPair& owner, const std::string& verifier, int n, double lambda,
                 const std::string& space = "normalized");
// The stamping spaces a claim may name.
bool is_stamp_space(const std::string& space);
std::string claim_to_json(const Claim& c);
Claim claim_from_json(const std::string& text, const std::string& source);
void save_claim(const Claim& c, const std::string& path);
Claim load_claim(const std::string& path);
// Loads and checks the signature: a claim that does not verify is rejected here, before any model
// is looked at.
Claim load_verified_claim(const std::string& path);

}  // namespace nullmark
