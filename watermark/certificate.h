// Verification certificates: a JSON record of what was verified (claim, SHA-256 of the model file,
// data set identity), every measurement, the thresholds and the decision, with the SHA-256 of the
// body and, optionally, the certifier's Ed25519 signature over it.
//
// The file is written in one canonical form (sorted keys, 2-space indentation). check_certificate
// re-serialises what it parsed and requires the identical bytes, then checks the body hash, the
// signature, and the body's internal consistency (claim signature, re-derived watermark, decision
// and random-key summary recomputed from the recorded numbers). Any changed byte fails. An unsigned
// certificate detects accidental damage; only a signed one also shows who certified it.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "watermark/keys.h"

namespace nullmark {

// Wraps a certificate body; signs it when a certifier key is given.
std::string make_certificate(const nlohmann::json& body, const std::optional<KeyPair>& certifier);

struct CertificateCheck {
  bool ok = false;
  bool signed_ = false;
  PublicKey signer{};    // the key in the certificate's certifier block (when signed_): not trust by itself
  std::string decision;  // "accepted" / "rejected", as recorded
  std::string problem;   // why it failed
  nlohmann::json body;
};

CertificateCheck check_certificate(const std::string& bytes);

}  // namespace nullmark
