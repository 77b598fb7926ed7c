// Keys, claims and certificates: malformed or tampered files are rejected with clear messages.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/files.h"
#include "error_of.h"
#include "temp_dir.h"
#include "watermark/certificate.h"
#include "watermark/claim.h"
#include "watermark/derivation.h"
#include "watermark/embedding.h"
#include "watermark/trust.h"
#include "watermark/verification.h"

using namespace nullmark;
using nullmark::test::error_of;

namespace {
KeyPair fixed_key(uint8_t fill) {
  Seed s;
  s.fill(fill);
  return keypair_from_seed(s);
}
}  // namespace

TEST_CASE("key files: round trip, permissions, length and encoding", "[watermark][keys]") {
  test::TempDir d;
  const KeyPair k = fixed_key(7);
  save_keypair(k, d.file("owner"));
  struct stat st {};
  REQUIRE(::stat(d.file("owner.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(load_secret_key(d.file("owner.key")).public_key == k.public_key);
  CHECK(load_public_key(d.file("owner.pub")) == k.public_key);
  CHECK_THAT(error_of([&] { save_keypair(k, d.file("owner")); }), Catch::Contains("refusing to overwrite"));

  ::chmod(d.file("owner.key").c_str(), 0644);
  CHECK_THAT(error_of([&] { load_secret_key(d.file("owner.key")); }),
             Catch::Contains("permissions 0644 are too open") && Catch::Contains("chmod 600"));

  auto secret = [&](const std::string& seed) {
    const std::string p = d.file("s.key");
    write_file_atomic(
        p,
        nlohmann::json{{"format", "nullmark-secret-key"}, {"version", 1}, {"algorithm", "ed25519"}, {"seed", seed}}
            .dump(),
        0600);
    return p;
  };
  CHECK_THAT(error_of([&] { load_secret_key(secret("abcd")); }),
             Catch::Contains("expected 64 hex digits (32 bytes), got 4"));
  CHECK_THAT(error_of([&] { load_secret_key(secret(std::string(64, 'z'))); }),
             Catch::Contains("not valid hexadecimal"));
  const std::string pub = d.write("bad.pub",
                                  "{\"format\": \"nullmark-public-key\", \"version\": 1, "
                                  "\"algorithm\": \"ed25519\", \"public_key\": \"00\"}");
  CHECK_THAT(error_of([&] { load_public_key(pub); }), Catch::Contains("bad.pub: public_key: expected 64 hex digits"));
  CHECK_THAT(error_of([&] { load_public_key(d.write("x.pub", "not json")); }), Catch::Contains("not JSON"));
  CHECK_THAT(error_of([&] { load_public_key(d.file("owner.key")); }),
             Catch::Contains("not a nullmark-public-key file"));
  // Tags of the wrong type are refused with nullmark's message (a fuzzer found {"format": 1} once
  // escaping as a JSON library exception).
  CHECK_THAT(error_of([&] { load_public_key(d.write("n.pub", R"({"format": 1, "algorithm": "0"})")); }),
             Catch::Contains("n.pub: not a nullmark-public-key file (format tag is 1)"));
  CHECK_THAT(error_of([&] {
               load_public_key(d.write("v.pub", R"({"format": "nullmark-public-key", "version": "1"})"));
             }),
             Catch::Contains("v.pub: unsupported key file version \"1\""));
  CHECK_THAT(error_of([&] {
               load_public_key(
                   d.write("a.pub", R"({"format": "nullmark-public-key", "version": 1, "algorithm": ["ed25519"]})"));
             }),
             Catch::Contains("a.pub: unsupported algorithm [\"ed25519\"]"));
}

TEST_CASE("a tampered verifier string, signature or public key is rejected", "[watermark][claim]") {
  test::TempDir d;
  const Claim good = make_claim(fixed_key(1), "acme/digit/2026", 6, 100.0, "normalized", {1, 28, 28}, 10);
  save_claim(good, d.file("good.json"));
  CHECK_NOTHROW(load_verified_claim(d.file("good.json")));
  Claim a = good, b = good, c = good;
  a.verifier = "acme/digit/2027";
  b.signature[10] ^= 1;
  c.public_key = fixed_key(2).public_key;
  for (const Claim& bad : {a, b, c}) {
    save_claim(bad, d.file("bad.json"));
    CHECK_THAT(error_of([&] { load_verified_claim(d.file("bad.json")); }),
               Catch::Contains("claim rejected: the signature does not verify"));
  }
  const std::string short_sig =
      d.write("short.json", claim_to_json(good).replace(claim_to_json(good).find("\"signature\": \"") + 14, 2, ""));
  CHECK_THAT(error_of([&] { load_claim(short_sig); }), Catch::Contains("signature: expected 128 hex digits"));
}

namespace {
// A consistent certificate body for a claim, as `nullmark verify` writes it: three keys of each
// kind (so a false-acceptance rate of 0.3 can be shown: the smallest p-value is 1/4).
nlohmann::json body_for(const Claim& claim, const std::vector<double>& blind_true = {0.5, 0.7, 0.8}) {
  const Watermark w = watermark_pattern(claim, Shape{1, 28, 28}, 10);
  NullModel m;
  m.clean_on_subset = 0.98;
  m.owner_true_on_subset = 1.0;
  m.owner_null_on_subset = 0.975;
  m.random.null = {0.95, 0.97, 0.5};
  m.random.true_ = {0.1, 0.02, 0.95};
  m.blind.null = {0.9, 0.98, 0.97};
  m.blind.true_ = blind_true;
  VerifyThresholds t;
  summarise_null_keys(m.random, m, t);
  summarise_null_keys(m.blind, m, t);
  const double far = 0.3;
  std::vector<std::string> reasons = t.failures(0.985, 0.98, 0.999);
  for (const std::string& r : far_failures(m, far)) reasons.push_back(r);
  const auto keys = [](const NullKeys& k) {
    return nlohmann::json{{"count", k.count()},     {"null", k.null},         {"true", k.true_},
                          {"passing", k.passing},   {"reaching", k.reaching}, {"true_mean", k.true_mean},
                          {"true_max", k.true_max}, {"p_value", k.p_value}};
  };
  const auto ci = [](long k, long n) {
    const Interval i = clopper_pearson(k, n);
    return std::vector<double>{i.lo, i.hi};
  };
  return {
      {"nullmark_version", "test"},
      {"created", "2026-12-06T08:00:00Z"},
      {"claim", nlohmann::json::parse(claim_to_json(claim))},
      {"model",
       {{"file", "model.ckpt"}, {"sha256", std::string(64, 'a')}, {"input_shape", {1, 28, 28}}, {"classes", 10}}},
      {"data", {{"name", "mnist"}, {"split", "test"}, {"samples", 1000}, {"sha256", std::string(64, 'b')}}},
      {"watermark",
       {{"label", w.label},
        {"row", w.row},
        {"col", w.col},
        {"n", w.n},
        {"lambda", w.lambda},
        {"space", w.space},
        {"bits", bit_string(w)}}},
      {"measurements", {{"clean", 0.985}, {"null", 0.98}, {"true", 0.999}, {"samples", 1000}, {"true_samples", 1000}}},
      {"intervals", {{"method", "test"}, {"clean", ci(985, 1000)}, {"null", ci(980, 1000)}, {"true", ci(999, 1000)}}},
      {"null_keys",
       {{"method", "test"},
        {"samples", 1000},
        {"seed", 1},
        {"clean_on_subset", m.clean_on_subset},
        {"owner_true_on_subset", m.owner_true_on_subset},
        {"owner_null_on_subset", m.owner_null_on_subset},
        {"false_acceptance_rate", far},
        {"p_value", m.p_value()},
        {"random", keys(m.random)},
        {"blind", keys(m.blind)}}},
      {"thresholds",
       {{"min_true_accuracy", t.min_true}, {"max_null_drop", t.max_null_drop}, {"min_clean_accuracy", t.min_clean}}},
      {"decision", reasons.empty() ? "accepted" : "rejected"},
      {"reasons", reasons}};
}
}  // namespace

TEST_CASE("certificates: any changed byte fails the check", "[watermark][certificate]") {
  const Claim claim = make_claim(fixed_key(3), "acme/digit/2026", 4, 10.0, "normalized", {1, 28, 28}, 10);
  const KeyPair certifier = fixed_key(9);
  for (bool sign : {false, true}) {
    INFO((sign ? "signed" : "unsigned"));
    const std::string cert = make_certificate(body_for(claim), sign ? std::optional<KeyPair>(certifier) : std::nullopt);
    const CertificateCheck ok = check_certificate(cert);
    REQUIRE(ok.problem == "");
    CHECK(ok.ok);
    CHECK(ok.signed_ == sign);
    CHECK(ok.decision == "accepted");
    size_t undetected = 0;
    for (size_t i = 0; i < cert.size(); ++i) {
      std::string bad = cert;
      bad[i] = static_cast<char>(bad[i] ^ 0x01);
      if (check_certificate(bad).ok && undetected++ < 3)
        FAIL_CHECK("byte " << i << " changed without detection: ..." << cert.substr(i > 30 ? i - 30 : 0, 40));
    }
    CHECK(undetected == 0);
  }
}

TEST_CASE("certificates: a version that is not a whole number is refused (fuzz finding)", "[watermark][certificate][hostile]") {
  const Claim claim = make_claim(fixed_key(3), "acme/digit/2026", 4, 10.0, "normalized", {1, 28, 28}, 10);
  nlohmann::json cert = nlohmann::json::parse(make_certificate(body_for(claim), std::nullopt));
  for (const nlohmann::json& v : {nlohmann::json(4.4e92), nlohmann::json(2.0), nlohmann::json(-2), nlohmann::json("2"),
                                  nlohmann::json(uint64_t{1} << 63)}) {
    cert["version"] = v;
    const CertificateCheck c = check_certificate(cert.dump(2));
    CHECK(!c.ok);
    CHECK_THAT(c.problem, Catch::Contains("not a nullmark certificate (format or version)"));
  }
}

TEST_CASE("certificates: inconsistent content fails even when re-hashed and re-signed", "[watermark][certificate]") {
  const Claim claim = make_claim(fixed_key(3), "acme/digit/2026", 4, 10.0, "normalized", {1, 28, 28}, 10);
  const KeyPair certifier = fixed_key(9);
  auto problem = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json b = body_for(claim);
    edit(b);
    return check_certificate(make_certificate(b, certifier)).problem;
  };
  CHECK_THAT(problem([](nlohmann::json& b) { b["decision"] = "rejected"; }),
             Catch::Contains("decision does not follow"));
  CHECK_THAT(problem([](nlohmann::json& b) { b["measurements"]["true"] = 0.2; }),
             Catch::Contains("decision does not follow"));
  CHECK_THAT(problem([](nlohmann::json& b) { b["watermark"]["row"] = b["watermark"]["row"].get<int>() + 1; }),
             Catch::Contains("recorded watermark is not the one the claim derives"));
  CHECK_THAT(problem([](nlohmann::json& b) { b["null_keys"]["random"]["passing"] = 5; }),
             Catch::Contains("random key summary"));
  CHECK_THAT(problem([](nlohmann::json& b) { b["null_keys"]["blind"]["p_value"] = 0.01; }),
             Catch::Contains("blind key summary"));
  CHECK_THAT(problem([](nlohmann::json& b) { b["null_keys"]["p_value"] = 0.01; }),
             Catch::Contains("p-value does not follow"));
  CHECK_THAT(problem([](nlohmann::json& b) { b["intervals"]["true"][0] = 0.99; }),
             Catch::Contains("true interval does not follow"));
  // Three keys of a kind cannot show a false-acceptance rate of 0.1 (their smallest p-value is 0.25).
  CHECK_THAT(problem([](nlohmann::json& b) { b["null_keys"]["false_acceptance_rate"] = 0.1; }),
             Catch::Contains("the false-acceptance rate cannot be shown"));
  CHECK_THAT(problem([](nlohmann::json& b) { b["claim"]["verifier"] = "someone else"; }),
             Catch::Contains("claim's signature does not verify"));
  // A clean-accuracy floor the measurements (clean 0.985) miss makes "accepted" inconsistent;
  // one they meet, or none (a certificate from before the floor existed), keeps it.
  CHECK_THAT(problem([](nlohmann::json& b) { b["thresholds"]["min_clean_accuracy"] = 0.99; }),
             Catch::Contains("decision does not follow"));
  CHECK(problem([](nlohmann::json& b) { b["thresholds"]["min_clean_accuracy"] = 0.98; }) == "");
  CHECK_THAT(problem([](nlohmann::json& b) { b["thresholds"].erase("min_clean_accuracy"); }),
             Catch::Contains("body.thresholds.min_clean_accuracy is missing"));
  // Every field is recomputed or checked: the ones nothing followed from before.
  CHECK_THAT(problem([](nlohmann::json& b) { b["reasons"] = {"looks fine"}; }), Catch::Contains("recorded reasons"));
  CHECK_THAT(problem([](nlohmann::json& b) { b["watermark"]["lambda"] = nullptr; }),
             Catch::Contains("recorded watermark is not the one"));
  CHECK_THAT(problem([](nlohmann::json& b) { b["watermark"]["n"] = 5; }), Catch::Contains("recorded watermark"));
  CHECK_THAT(problem([](nlohmann::json& b) { b["measurements"]["samples"] = 5000; }),
             Catch::Contains("body.measurements.samples must be an integer in [1, 1000]"));
  CHECK_THAT(problem([](nlohmann::json& b) { b["measurements"]["true_samples"] = 7; }),
             Catch::Contains("body.measurements.true is not a count over 7 samples"));
  CHECK_THAT(problem([](nlohmann::json& b) { b["model"]["sha256"] = "xyz"; }), Catch::Contains("body.model.sha256"));
  CHECK_THAT(problem([](nlohmann::json& b) { b["created"] = "yesterday"; }), Catch::Contains("body.created"));
  CHECK_THAT(problem([](nlohmann::json& b) { b["note"] = "trust me"; }),
             Catch::Contains("body.note is not a field of a certificate"));
  CHECK_THAT(problem([](nlohmann::json& b) { b["null_keys"]["random"]["true"][0] = 7; }),
             Catch::Contains("body.null_keys.random.true[0] must be a number in [0, 1]"));
}

TEST_CASE("certificates: a blind forger's key that reaches the claim's true accuracy rejects it", "[watermark][certificate]") {
  const Claim claim = make_claim(fixed_key(3), "acme/digit/2026", 4, 10.0, "normalized", {1, 28, 28}, 10);
  // A blind key at 100 % true accuracy whose null accuracy (0.97) is below the claim's
  // (0.975) does not reach it; one at 100 % with null accuracy 0.98 does: p = (1 + 1) / 4 = 0.5 >
  // 0.3, so the claim is rejected though every threshold passes, and "accepted" is inconsistent.
  CHECK(body_for(claim, {0.5, 0.8, 1.0})["decision"] == "accepted");
  nlohmann::json b = body_for(claim, {0.5, 1.0, 0.8});
  CHECK(b["decision"] == "rejected");
  CHECK(b["null_keys"]["blind"]["p_value"] == 0.5);
  CHECK(check_certificate(make_certificate(b, std::nullopt)).problem == "");
  b["decision"] = "accepted";
  CHECK_THAT(check_certificate(make_certificate(b, std::nullopt)).problem, Catch::Contains("decision does not follow"));
}

TEST_CASE("verification: a false-acceptance rate the key counts cannot show is refused", "[watermark]") {
  CHECK(far_problem(0.01, 99, 99) == "");
  CHECK(far_problem(0.01, 0, 0) == "");  // no keys: no rate stated, thresholds alone
  CHECK(far_problem(0.01, 99, 0) == "");
  CHECK_THAT(far_problem(0.01, 98, 99), Catch::Contains("with 98 random keys the smallest p-value is 1/99"));
  CHECK_THAT(far_problem(0.05, 100, 10), Catch::Contains("measure at least 19 keys of each kind"));
}

TEST_CASE("verification thresholds: the paper's rule passes a collapsed model, a clean floor does not", "[watermark]") {
  VerifyThresholds t;  // the paper's rule: min_clean 0
  CHECK(t.pass(0.985, 0.98, 0.999));
  CHECK_FALSE(t.pass(0.985, 0.95, 0.999));  // null trails clean by 3.5 points
  CHECK_FALSE(t.pass(0.985, 0.98, 0.85));   // true under 0.90
  CHECK(t.pass(0.10, 0.10, 1.0));           // every answer y_W: clean = null = 10 %, true 100 %
  t.min_clean = 0.5;
  CHECK_FALSE(t.pass(0.10, 0.10, 1.0));
  CHECK(t.pass(0.985, 0.98, 0.999));
  CHECK(t.pass(0.5, 0.5, 0.9));  // every bound inclusive

  // Each missed threshold is named, in the order clean, true, null.
  const auto all = t.failures(0.4, 0.2, 0.5);
  REQUIRE(all.size() == 3);
  CHECK_THAT(all[0], Catch::Contains("clean accuracy 0.4000 is below the threshold 0.5000"));
  CHECK_THAT(all[1], Catch::Contains("true accuracy 0.5000 is below the threshold 0.9000"));
  CHECK_THAT(all[2], Catch::Contains("null accuracy 0.2000 trails clean accuracy 0.4000 by more than 0.0300"));
  const auto one = t.failures(0.985, 0.95, 0.999);
  REQUIRE(one.size() == 1);
  CHECK_THAT(one[0], Catch::Contains("null accuracy"));
}

TEST_CASE("trust files: pinned certifiers are read strictly", "[watermark][certificate][hostile]") {
  test::TempDir d;
  const std::string key = hex(fixed_key(4).public_key);
  const auto load = [&](const std::string& text) {
    return error_of([&] { load_trust_file(d.write("trust.json", text)); });
  };
  const std::string entry = "{\"name\": \"lab\", \"public_key\": \"" + key + "\"}";
  CHECK(load("{\"format\": \"nullmark-trust\", \"version\": 1, \"certifiers\": [" + entry + "]}") == "");
  const std::vector<TrustedCertifier> t =
      load_trust_file(d.write("ok.json", "{\"format\": \"nullmark-trust\", \"version\": 1, \"certifiers\": [" + entry + "]}"));
  REQUIRE(t.size() == 1);
  CHECK((t[0].name == "lab" && t[0].public_key == fixed_key(4).public_key));
  CHECK_THAT(load("not json"), Catch::Contains("not a trust file (not JSON)"));
  CHECK_THAT(load("{\"format\": \"nullmark-claim\"}"), Catch::Contains("not a nullmark-trust file"));
  CHECK_THAT(load("{\"format\": \"nullmark-trust\", \"version\": 2, \"certifiers\": []}"),
             Catch::Contains("unsupported trust file version"));
  CHECK_THAT(load("{\"format\": \"nullmark-trust\", \"version\": 1, \"certifiers\": []}"),
             Catch::Contains("certifiers must be a non-empty list"));
  CHECK_THAT(load("{\"format\": \"nullmark-trust\", \"version\": 1, \"certifiers\": [" + entry + "], \"x\": 1}"),
             Catch::Contains("unexpected field \"x\""));
  CHECK_THAT(load("{\"format\": \"nullmark-trust\", \"version\": 1, \"certifiers\": [{\"name\": \"\", \"public_key\": \"" +
                  key + "\"}]}"),
             Catch::Contains("certifiers[0]: the name is empty"));
  CHECK_THAT(load("{\"format\": \"nullmark-trust\", \"version\": 1, \"certifiers\": [{\"name\": \"x\", \"public_key\": "
                  "\"abc\"}]}"),
             Catch::Contains("certifiers[0].public_key: expected 64 hex digits"));
  CHECK_THAT(load("{\"format\": \"nullmark-trust\", \"version\": 1, \"certifiers\": [" + entry + ", " + entry + "]}"),
             Catch::Contains("certifiers[1]: the key of \"lab\" is listed again"));
}
