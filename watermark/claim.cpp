#include "watermark/claim.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/files.h"
#include "watermark/claim_message.h"
#include "watermark/timestamp.h"

namespace nullmark {

namespace {
constexpr int kMaxN = 1024, kMaxDim = 65536, kMaxClasses = 1 << 20;
// A token with a certificate chain is a few KiB; anything this large is not one.
constexpr size_t kMaxTimestampBase64 = 1 << 20;

// Why the claim's parameters are unusable, naming the field; "" when they are fine.
std::string problem(const Claim& c) {
  if (c.verifier.empty()) return "verifier: must not be empty";
  if (!is_stamp_space(c.space)) return "space: must be \"normalized\" or \"raw\", got \"" + c.space + "\"";
  if (c.n < 1 || c.n > kMaxN) return "n: must be in [1, " + std::to_string(kMaxN) + "], got " + std::to_string(c.n);
  // The kernels stamp float32: lambda must stay finite, positive and not underflow when rounded.
  const float f = static_cast<float>(c.lambda);
  if (!std::isfinite(c.lambda) || !(c.lambda > 0) || !std::isfinite(f) || f < FLT_MIN)
    return "lambda: must be a positive number representable in float32 (" + std::to_string(FLT_MIN) + " to " +
           std::to_string(FLT_MAX) + ")";
  if (c.version == 1) return "";
  if (static_cast<double>(f) != c.lambda)
    return "lambda: a v2 claim holds the exact float32 value it signs, and this value is not one";
  if (c.input.size() != 3) return "input_shape: must be [C, H, W]";
  for (int d : c.input)
    if (d < 1 || d > kMaxDim) return "input_shape: each size must be in [1, " + std::to_string(kMaxDim) + "]";
  if (c.classes < 2 || c.classes > kMaxClasses)
    return "classes: must be in [2, " + std::to_string(kMaxClasses) + "], got " + std::to_string(c.classes);
  if (c.n > std::min(c.input[1], c.input[2]))
    return "n: the " + std::to_string(c.n) + "x" + std::to_string(c.n) + " pattern does not fit the " +
           std::to_string(c.input[1]) + "x" + std::to_string(c.input[2]) + " input";
  return "";
}

// An integer field: a JSON integer (not 6.5, not "6") within [lo, hi].
long integer(const nlohmann::json& v, const std::string& name, long lo, long hi, const std::string& source) {
  const auto bad = [&] { return fail(source, ": ", name, ": must be an integer in [", lo, ", ", hi, "], got ", v.dump()); };
  if (!v.is_number_integer()) throw bad();
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(hi) || static_cast<long>(u) < lo) throw bad();
    return static_cast<long>(u);
  }
  const int64_t s = v.get<int64_t>();
  if (s < lo || s > hi) throw bad();
  return static_cast<long>(s);
}

void check_fields(const nlohmann::json& j, std::initializer_list<const char*> known, const std::string& source) {
  for (const auto& kv : j.items())
    if (std::find_if(known.begin(), known.end(), [&](const char* k) { return kv.key() == k; }) == known.end())
      throw fail(source, ": unexpected field \"", kv.key(), "\" in a version-", j.at("version").dump(), " claim");
}
}  // namespace

bool is_stamp_space(const std::string& space) { return space == "normalized" || space == "raw"; }

bool Claim::signature_valid() const { return verify_message(public_key, claim_message(*this), signature); }

std::string Claim::binding() const {
  return version == 1 ? "v1: parameters unsigned" : "v2: verifier, n, lambda, space, input shape and classes signed";
}

Claim make_claim(const KeyPair& owner, const std::string& verifier, int n, double lambda, const std::string& space,
                 const std::vector<int>& input, int classes) {
  Claim c;
  c.version = 2;
  c.verifier = verifier;
  c.n = n;
  c.lambda = static_cast<double>(static_cast<float>(lambda));  // the value stamped is the value signed
  c.space = space;
  c.input = input;
  c.classes = classes;
  const std::string p = problem(c);
  NM_CHECK(p.empty(), "cannot make the claim: ", p);
  c.public_key = owner.public_key;
  c.signature = sign_message(owner, claim_message(c));
  return c;
}

Claim make_claim_v1(const KeyPair& owner, const std::string& verifier, int n, double lambda, const std::string& space) {
  Claim c;
  c.version = 1;
  c.verifier = verifier;
  c.n = n;
  c.lambda = lambda;
  c.space = space;
  const std::string p = problem(c);
  NM_CHECK(p.empty(), "cannot make the claim: ", p);
  c.public_key = owner.public_key;
  c.signature = sign_message(owner, claim_message(c));
  return c;
}

std::string claim_to_json(const Claim& c) {
  nlohmann::json j = {{"format", "nullmark-claim"},
                      {"version", c.version},
                      {"spec", c.version == 1 ? "nullmark-v1" : "nullmark-v2"},
                      {"verifier", c.verifier},
                      {"signature", hex(c.signature)},
                      {"public_key", hex(c.public_key)},
                      {"n", c.n},
                      {"lambda", c.lambda},
                      {"space", c.space}};
  if (c.version == 2) j["input_shape"] = c.input, j["classes"] = c.classes;
  if (!c.timestamp.empty()) j["timestamp"] = to_base64(c.timestamp);
  return j.dump(2) + "\n";
}

Claim claim_from_json(const std::string& text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw fail(source, ": not a nullmark claim (not JSON, or a number out of range)");
  }
  if (!j.is_object() || !j.contains("format") || j.at("format") != "nullmark-claim")
    throw fail(source, ": not a nullmark claim file");
  Claim c;
  try {
    const nlohmann::json& version = j.at("version");
    if (version == 1 && j.value("spec", "") == "nullmark-v1") {
      c.version = 1;
      check_fields(j, {"format", "version", "spec", "verifier", "signature", "public_key", "n", "lambda", "space",
                    "timestamp"},
                   source);
    } else if (version == 2 && j.value("spec", "") == "nullmark-v2") {
      c.version = 2;
      check_fields(j,
                   {"format", "version", "spec", "verifier", "signature", "public_key", "n", "lambda", "space",
                    "input_shape", "classes", "timestamp"},
                   source);
    } else {
      throw fail(source, ": unsupported claim version or derivation spec (this build knows v1/nullmark-v1 and "
                 "v2/nullmark-v2)");
    }
    c.verifier = j.at("verifier").get<std::string>();
    c.signature = parse_hex<64>(j.at("signature").get<std::string>(), source + ": signature");
    c.public_key = parse_hex<32>(j.at("public_key").get<std::string>(), source + ": public_key");
    c.n = static_cast<int>(integer(j.at("n"), "n", 1, kMaxN, source));
    if (!j.at("lambda").is_number()) throw fail(source, ": lambda: must be a number, got ", j.at("lambda").dump());
    c.lambda = j.at("lambda").get<double>();
    if (j.contains("space")) c.space = j.at("space").get<std::string>();
    if (c.version == 2) {
      const nlohmann::json& shape = j.at("input_shape");
      if (!shape.is_array() || shape.size() != 3) throw fail(source, ": input_shape: must be [C, H, W]");
      for (size_t i = 0; i < 3; ++i)
        c.input.push_back(static_cast<int>(integer(shape[i], "input_shape[" + std::to_string(i) + "]", 1, kMaxDim, source)));
      c.classes = static_cast<int>(integer(j.at("classes"), "classes", 2, kMaxClasses, source));
    }
  } catch (const nlohmann::json::exception& e) {
    throw fail(source, ": claim field missing or of the wrong type (", e.what(), ")");
  }
  const std::string p = problem(c);
  if (!p.empty()) throw fail(source, ": ", p);
  if (j.contains("timestamp")) {
    const nlohmann::json& t = j.at("timestamp");
    if (!t.is_string() || t.get<std::string>().size() > kMaxTimestampBase64)
      throw fail(source, ": timestamp: must be a base64 string of at most ", kMaxTimestampBase64, " characters");
    c.timestamp = from_base64(t.get<std::string>(), source + ": timestamp");
    // The token must parse and cover this claim; whether its TSA is trusted is the verifier's
    // question (verify_timestamp_token), asked where a TSA certificate is given.
    if (inspect_timestamp_token(c.timestamp, source + ": timestamp").imprint != claim_digest(c))
      throw fail(source, ": timestamp: the token covers another claim (its imprint is not this claim's digest)");
  }
  return c;
}

void save_claim(const Claim& c, const std::string& path) { write_file_atomic(path, claim_to_json(c)); }

Claim load_claim(const std::string& path) { return claim_from_json(read_file(path), path); }

Claim load_verified_claim(const std::string& path) {
  Claim c = load_claim(path);
  if (!c.signature_valid())
    throw fail(path, ": claim rejected: the signature does not verify against the public key for ",
               c.version == 1 ? "the verifier string \"" + c.verifier + "\" (tampered verifier, signature or public key)"
                              : "the signed parameters (a verifier, n, lambda, space, input shape or class count "
                                "was changed, or the signature or public key)");
  return c;
}

}  // namespace nullmark
