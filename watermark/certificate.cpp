#include "watermark/certificate.h"
#include "watermark/certificate_schema.h"

#include <cmath>
#include <cstdint>
#include <tuple>
#include <utility>

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
  const std::string shape_problem = certificate_body_problem(b);
  if (!shape_problem.empty()) return shape_problem;
  const Claim claim = claim_from_json(b.at("claim").dump(), "certificate claim");
  if (!claim.signature_valid()) return "the claim's signature does not verify against its public key";
  const auto shape = b.at("model").at("input_shape").get<std::vector<int>>();
  if (shape.size() != 3) return "model input shape is not C x H x W";
  const int classes = b.at("model").at("classes").get<int>();
  const Watermark w = watermark_pattern(claim, Shape(shape), classes);
  const auto& rw = b.at("watermark");
  if (rw.at("label").get<int>() != w.label || rw.at("row").get<int>() != w.row || rw.at("col").get<int>() != w.col ||
      rw.at("bits").get<std::string>() != bit_string(w) || rw.at("n") != claim.n ||
      rw.at("lambda") != static_cast<double>(static_cast<float>(claim.lambda)) || rw.at("space") != claim.space)
    return "the recorded watermark is not the one the claim derives for this model";
  VerifyThresholds t;
  t.min_true = b.at("thresholds").at("min_true_accuracy").get<double>();
  t.max_null_drop = b.at("thresholds").at("max_null_drop").get<double>();
  t.min_clean = b.at("thresholds").at("min_clean_accuracy").get<double>();
  const auto& m = b.at("measurements");
  const double clean = m.at("clean").get<double>(), null = m.at("null").get<double>(), true_ = m.at("true").get<double>();
  const auto& k = b.at("null_keys");
  NullModel keys;
  keys.clean_on_subset = k.at("clean_on_subset").get<double>();
  keys.owner_true_on_subset = k.at("owner_true_on_subset").get<double>();
  keys.owner_null_on_subset = k.at("owner_null_on_subset").get<double>();
  auto same = [](double a, double c) { return std::fabs(a - c) <= 1e-12 * std::max(1.0, std::fabs(c)); };
  for (const auto& [kind, out] : {std::pair{"random", &keys.random}, std::pair{"blind", &keys.blind}}) {
    const auto& r = k.at(kind);
    out->null = r.at("null").get<std::vector<double>>();
    out->true_ = r.at("true").get<std::vector<double>>();
    if (out->null.size() != out->true_.size() || out->count() != r.at("count").get<int>())
      return std::string("the ") + kind + " key lists do not match their count";
    summarise_null_keys(*out, keys, t);
    if (out->passing != r.at("passing").get<int>() || out->reaching != r.at("reaching").get<int>() ||
        !same(r.at("true_mean").get<double>(), out->true_mean) || !same(r.at("true_max").get<double>(), out->true_max) ||
        !same(r.at("p_value").get<double>(), out->p_value))
      return std::string("the ") + kind + " key summary does not follow from the per-key values";
  }
  const double far = k.at("false_acceptance_rate").get<double>();
  const std::string far_bad = far_problem(far, keys.random.count(), keys.blind.count());
  if (!far_bad.empty()) return "the false-acceptance rate cannot be shown: " + far_bad;
  if (!same(k.at("p_value").get<double>(), keys.p_value())) return "the p-value does not follow from the key summaries";
  std::vector<std::string> reasons = t.failures(clean, null, true_);
  for (const std::string& r : far_failures(keys, far)) reasons.push_back(r);
  if (b.at("decision").get<std::string>() != (reasons.empty() ? "accepted" : "rejected"))
    return "the decision does not follow from the measurements, thresholds and p-values";
  if (b.at("reasons").get<std::vector<std::string>>() != reasons)
    return "the recorded reasons are not the ones the measurements, thresholds and p-values give";
  const auto& ci = b.at("intervals");
  const long samples = m.at("samples").get<long>(), true_samples = m.at("true_samples").get<long>();
  const auto interval_of = [](double share, long n) { return clopper_pearson(std::llround(share * n), n); };
  for (const auto& [name, share, n] :
       {std::tuple{"clean", clean, samples}, std::tuple{"null", null, samples}, std::tuple{"true", true_, true_samples}}) {
    const Interval want = interval_of(share, n);
    const auto got = ci.at(name).get<std::vector<double>>();
    if (got.size() != 2 || !same(got[0], want.lo) || !same(got[1], want.hi))
      return std::string("the ") + name + " interval does not follow from the measurement";
  }
  return "";
}
}  // namespace

std::string make_certificate(const nlohmann::json& body, const std::optional<KeyPair>& certifier) {
  nlohmann::json c = {{"format", "nullmark-certificate"}, {"version", 2}, {"body", body}};
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
    // The version read as a whole number only: value("version", 0) would convert a float to int.
    const auto version = c.is_object() ? c.find("version") : c.end();
    long v = -1;
    if (version != c.end() && version->is_number_unsigned())
      v = version->get<uint64_t>() <= 100 ? static_cast<long>(version->get<uint64_t>()) : -1;
    else if (version != c.end() && version->is_number_integer())
      v = version->get<long>();
    if (!c.is_object() || c.value("format", "") != "nullmark-certificate" || v != 2) {
      r.problem = v == 1
                      ? "a version-1 certificate: this nullmark checks version 2 (p-values and intervals); run nullmark verify again"
                      : "not a nullmark certificate (format or version)";
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
      r.signer = pk;
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
