// A watermark claim: the owner's verifier string, its Ed25519 signature, the owner's public key and
// the embedding parameters (pattern size n, stamp value lambda, and the space lambda lives in). The
// signature is the secret the watermark is derived from; anyone can check it against the public key.
//
// Version 2 (what `nullmark sign` makes) signs every parameter that shapes the watermark, the
// model's input shape and class count included (claim_message.h), so a claim whose lambda or n was
// edited no longer verifies. Version 1 signed the verifier string alone; such claims still load and
// verify, and are reported as "v1: parameters unsigned".
#pragma once
#include <string>
#include <vector>

#include "watermark/keys.h"
#include "watermark/recipe.h"

namespace nullmark {

struct Claim {
  int version = 2;
  std::string verifier;
  Signature signature{};
  PublicKey public_key{};
  int n = recipe::kN;
  double lambda = recipe::kLambda;  // v2: always a float32 value, the value the kernels stamp
  // "normalized": +-lambda is written into the model's (normalised) input, spec v1's stamping.
  // "raw": +-lambda is a raw pixel value (the [0, 1] scale), mapped through the data's normalisation
  // before it is written. A claim file without the field is "normalized".
  std::string space = recipe::kSpace;
  // v2: the model the claim is made for (C, H, W and class count); empty / 0 in a v1 claim.
  std::vector<int> input;
  int classes = 0;
  // An RFC 3161 timestamp token (DER) over the claim digest (timestamp.h); empty when the claim has
  // none. It is not signed by the owner: the TSA's signature is what makes it trustworthy.
  std::string timestamp;
  bool signature_valid() const;
  // "v2: all parameters signed" or "v1: parameters unsigned", for reports.
  std::string binding() const;
};

// A version-2 claim for a model with this input shape (C, H, W) and class count.
Claim make_claim(const KeyPair& owner, const std::string& verifier, int n, double lambda, const std::string& space,
                 const std::vector<int>& input, int classes);
// A version-1 claim (the verifier string alone signed). The piracy driver's pirate keys are v1
// claims, so that its pirate patterns stay those of the committed results.
Claim make_claim_v1(const KeyPair& owner, const std::string& verifier, int n, double lambda,
                    const std::string& space = "normalized");
// The stamping spaces a claim may name.
bool is_stamp_space(const std::string& space);
std::string claim_to_json(const Claim& c);
// Strict: unknown fields, non-integer or out-of-range integers, and a lambda that is not a finite,
// positive float32 value are refused with the field named.
Claim claim_from_json(const std::string& text, const std::string& source);
void save_claim(const Claim& c, const std::string& path);
Claim load_claim(const std::string& path);
// Loads and checks the signature: a claim that does not verify is rejected here, before any model
// is looked at.
Claim load_verified_claim(const std::string& path);

}  // namespace nullmark
