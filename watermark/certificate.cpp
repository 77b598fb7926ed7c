#include "watermark/certificate.h"

#include <cmath>
#include <cstdint>

#include "common/error.h"
#include "common/sha256.h"
#include "watermark/claim.h"
#include "watermark/derivation.h"
#include "watermark/embedding.h"
#include "watermark/verification.h"

namespace nullmark {

namespace {
std::string canonical(const nlohmann::json& j) { return j.dump(2) + "\n"; }
std::string body_bytes(const nlohmann::json& body) { return body.dump(); }

// Recomputes everything in the body that follows from other recorded values.
std::string inconsistency(const nlohmann::json& b) {
  const Claim claim = claim_from_json(b.at("claim").dump(), "certificate claim");
  if (!claim.signature_valid()) return "the claim's signature does not verify against its public key";
  const auto shape = b.at("model").at("input_shape").get<std::vector<int>>();
  if (shape.size() != 3) return "model input shape is not C x H x W";
  const int classes = b.at("model").at("classes").get<int>();
  const Watermark w = watermark_pattern(claim, Shape(shape), classes);
  const auto& rw = b.at("watermark");
  if (rw.at("label").get<int>() != w.label || rw.at("row").get<int>() != w.row || rw.at("col").get<int>() != w.col ||
      rw.at("bits").get<std::string>() != bit_string(w))
    return "the recorded watermark is not the one the claim derives for this model";
  VerifyThresholds t;
  t.min_true = b.at("thresholds").at("min_true_accuracy").get<double>();
  t.max_null_drop = b.at("thresholds").at("max_null_drop").get<double>();
  t.min_clean = b.at("thresholds").value("min_clean_accuracy", 0.0);  // absent before it existed: the paper's rule
  const auto& m = b.at("measurements");
  const bool pass = t.pass(m.at("clean").get<double>(), m.at("null").get<double>(), m.at("true").get<double>());
  if (b.at("decision").get<std::string>() != (pass ? "accepted" : "rejected"))
    return "the decision does not follow from the measurements and thresholds";
  const auto& r = b.at("random_keys");
  RandomKeyStats s;
  s.null = r.at("null").get<std::vector<double>>();
  s.true_ = r.at("true").get<std::vector<double>>();
  if (s.null.size() != s.true_.size() || static_cast<int>(s.true_.size()) != r.at("count").get<int>())
    return "the random-key lists do not match their count";
  s.owner_true_on_subset = r.at("owner_true_on_subset").get<double>();
  summarise_random_keys(s, r.at("clean_on_subset").get<double>(), t);
  auto same = [](double a, double c) { return std::fabs(a - c) <= 1e-12 * std::max(1.0, std::fabs(c)); };
  if (s.passing != r.at("passing").get<int>() || !same(r.at("true_mean").get<double>(), s.true_mean) ||
      !same(r.at("true_max").get<double>(), s.true_max) || !same(r.at("true_std").get<double>(), s.true_std))
    return "the random-key summary does not follow from the per-key values";
  return "";
}
}  // namespace

std::string make_certificate(const nlohmann::json& body, const std::optional<KeyPair>& certifier) {
  nlohmann::json c = {{"format", "nullmark-certificate"}, {"version", 1}, {"body", body}};
  const std::string bytes = body_bytes(body);
  c["body_sha256"] = to_hex(sha256(bytes));
  if (certifier) {
    const Signature sig = sign_message(*certifier, bytes);
    c["certifier"] = {{"public_key", hex(certifier->public_key)}, {"signature", hex(sig)}};
  }
  return canonical(c);
}

CertificateCheck check_certificate(const std::string& bytes) {
  CertificateCheck r;
  nlohmann::json c;
  try {
    c = nlohmann::json::parse(bytes);
  } catch (const nlohmann::json::exception&) {
    r.problem = "not valid JSON";
    return r;
  }
  try {
    if (!c.is_object() || c.value("format", "") != "nullmark-certificate" || c.value("version", 0) != 1) {
      r.problem = "not a nullmark certificate (format or version)";
      return r;
    }
    for (const auto& kv : c.items())
      if (kv.key() != "format" && kv.key() != "version" && kv.key() != "body" && kv.key() != "body_sha256" &&
          kv.key() != "certifier") {
        r.problem = "unexpected field \"" + kv.key() + "\"";
        return r;
      }
    if (canonical(c) != bytes) {
      r.problem = "the file is not in canonical form (it was edited after it was written)";
      return r;
    }
    r.body = c.at("body");
    const std::string body = body_bytes(r.body);
    if (c.at("body_sha256").get<std::string>() != to_hex(sha256(body))) {
      r.problem = "the body's SHA-256 does not match (the certificate was altered)";
      return r;
    }
    if (c.contains("certifier")) {
      r.signed_ = true;
      const PublicKey pk = parse_hex<32>(c["certifier"].at("public_key").get<std::string>(), "certifier public_key");
      const Signature sig = parse_hex<64>(c["certifier"].at("signature").get<std::string>(), "certifier signature");
      if (!verify_message(pk, body, sig)) {
        r.problem = "the certifier's signature does not verify";
        return r;
      }
    }
    r.decision = r.body.at("decision").get<std::string>();
    r.problem = inconsistency(r.body);
  } catch (const std::exception& e) {
    r.problem = std::string("malformed certificate: ") + e.what();
    return r;
  }
  r.ok = r.problem.empty();
  return r;
}

}  // namespace nullmark
