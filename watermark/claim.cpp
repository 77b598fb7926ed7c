#include "watermark/claim.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/files.h"

namespace nullmark {

bool is_stamp_space(const std::string& space) { return space == "normalized" || space == "raw"; }

Claim make_claim(const KeyPair& owner, const std::string& verifier, int n, double lambda, const std::string& space) {
  NM_CHECK(!verifier.empty(), "the verifier string must not be empty");
  NM_CHECK(is_stamp_space(space), "the stamping space must be normalized or raw, got \"", space, "\"");
  NM_CHECK(n >= 1 && n <= 1024, "pattern size n must be in [1, 1024], got ", n);
  NM_CHECK(std::isfinite(lambda) && lambda > 0, "lambda must be a positive number, got ", lambda);
  Claim c;
  c.verifier = verifier;
  c.signature = sign_message(owner, verifier);
  c.public_key = owner.public_key;
  c.n = n;
  c.lambda = lambda;
  c.space = space;
  return c;
}

std::string claim_to_json(const Claim& c) {
  nlohmann::json j = {{"format", "nullmark-claim"},
                      {"version", 1},
                      {"spec", "nullmark-v1"},
                      {"verifier", c.verifier},
                      {"signature", hex(c.signature)},
                      {"public_key", hex(c.public_key)},
                      {"n", c.n},
                      {"lambda", c.lambda},
                      {"space", c.space}};
  return j.dump(2) + "\n";
}

Claim claim_from_json(const std::string& text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw fail(source, ": not a nullmark claim (not JSON)");
  }
  if (!j.is_object() || j.value("format", "") != "nullmark-claim") throw fail(source, ": not a nullmark claim file");
  if (j.value("version", 0) != 1 || j.value("spec", "") != "nullmark-v1")
    throw fail(source, ": unsupported claim version or derivation spec (this build knows nullmark-v1)");
  Claim c;
  try {
    c.verifier = j.at("verifier").get<std::string>();
    c.signature = parse_hex<64>(j.at("signature").get<std::string>(), source + ": signature");
    c.public_key = parse_hex<32>(j.at("public_key").get<std::string>(), source + ": public_key");
    c.n = j.at("n").get<int>();
    c.lambda = j.at("lambda").get<double>();
    if (j.contains("space")) c.space = j.at("space").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw fail(source, ": claim field missing or of the wrong type (", e.what(), ")");
  }
  if (c.n < 1 || c.n > 1024) throw fail(source, ": n must be in [1, 1024], got ", c.n);
  if (!std::isfinite(c.lambda) || c.lambda <= 0) throw fail(source, ": lambda must be positive");
  if (!is_stamp_space(c.space)) throw fail(source, ": space must be \"normalized\" or \"raw\", got \"", c.space, "\"");
  return c;
}

void save_claim(const Claim& c, const std::string& path) { write_file_atomic(path, claim_to_json(c)); }

Claim load_claim(const std::string& path) { return claim_from_json(read_file(path), path); }

Claim load_verified_claim(const std::string& path) {
  Claim c = load_claim(path);
  if (!c.signature_valid())
    throw fail(path,
               ": claim rejected: the signature does not verify against the public key for the verifier string \"",
               c.verifier, "\" (tampered verifier, signature or public key)");
  return c;
}

}  // namespace nullmark
