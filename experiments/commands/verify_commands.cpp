// nullmark verify / verify-cert: ownership verification of a claim on a model, with a certificate.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/files.h"
#include "common/sha256.h"
#include "common/threads.h"
#include "experiments/commands/commands.h"
#include "experiments/commands/model_and_data.h"
#include "watermark/certificate.h"
#include "watermark/trust.h"
#include "watermark/verification.h"

namespace nullmark::commands {

namespace {
std::string utc_now() {
  char buf[32];
  const std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string dataset_sha256(const Dataset& d) {
  std::string bytes(reinterpret_cast<const char*>(d.images.data()), d.images.size() * sizeof(float));
  bytes.append(reinterpret_cast<const char*>(d.labels.data()), d.labels.size() * sizeof(int32_t));
  return to_hex(sha256(bytes));
}
}  // namespace

int verify(const VerifyArgs& a) {
  set_threads(a.threads);
  const std::string out =
      a.out.empty() ? (std::filesystem::path(a.model).parent_path() / "certificate.json").string() : a.out;
  // An explicit --out must not replace anything by surprise; the default beside the model is
  // verify's own file, replaced by each verification (a key, claim or checkpoint never).
  check_output_path(out, a.force || a.out.empty(), "--out");
  // The claim is checked first: a claim whose signature fails never gets to run a model.
  const Claim claim = load_verified_claim(a.claim);
  std::fprintf(stderr, "claim %s: signature valid (verifier \"%s\"; %s)\n", a.claim.c_str(), claim.verifier.c_str(),
               claim.binding().c_str());
  std::optional<KeyPair> certifier;
  if (!a.sign_key.empty()) certifier = load_secret_key(a.sign_key);

  ModelAndData l = load_model_and_data(a.model, a.data_path, a.split, a.device);
  const std::string& model_bytes = l.bytes;
  const Checkpoint& ckpt = l.ckpt;
  Network* net = l.net.get();
  const DataConfig& data = l.data;
  const Dataset& d = l.d;

  const VerifyOptions opt = verify_options(a, data);
  const Verification v = verify_claim(*net, d, claim, opt);

  std::printf("claim      %s (%s)\n", a.claim.c_str(), claim.binding().c_str());
  std::printf("model      %s (sha256 %s)\n", a.model.c_str(), to_hex(sha256(model_bytes)).c_str());
  std::printf("data       %s, %zu samples\n", d.name.c_str(), d.size());
  std::printf("watermark  y_W = %d, %dx%d at (%d, %d), lambda %g (%s space)\n", v.wm.label, v.wm.n, v.wm.n, v.wm.row,
              v.wm.col, v.wm.lambda, v.wm.space.c_str());
  std::printf(
      "claimed    clean %.2f%% [%.2f, %.2f]  null %.2f%% [%.2f, %.2f]  true %.2f%% [%.2f, %.2f] (95%% Clopper-Pearson; "
      "true over %ld samples not labelled y_W)\n",
      100 * v.owner.clean, 100 * v.clean_ci.lo, 100 * v.clean_ci.hi, 100 * v.owner.null, 100 * v.null_ci.lo,
      100 * v.null_ci.hi, 100 * v.owner.true_, 100 * v.true_ci.lo, 100 * v.true_ci.hi, v.owner.true_samples);
  const long subset = std::min<long>(a.random_samples, static_cast<long>(d.size()));
  if (a.random_keys + a.blind_keys == 0) {
    std::printf("null keys  none measured (--random-keys 0 --blind-keys 0): no p-value, no false-acceptance rate\n");
  } else {
    for (const auto& [k, what] : {std::pair{&v.keys.random, "random"}, std::pair{&v.keys.blind, "blind "}}) {
      if (!k->count()) continue;
      std::printf(
          "%s     %d keys on %ld samples: true accuracy mean %.2f%%, max %.2f%%; %d reach the claim's true %.2f%% "
          "and null %.2f%%, %d pass the thresholds; p = %.4g\n",
          what, k->count(), subset, 100 * k->true_mean, 100 * k->true_max, k->reaching,
          100 * v.keys.owner_true_on_subset, 100 * v.keys.owner_null_on_subset, k->passing, k->p_value);
    }
  }
  std::printf("decision   %s", v.accepted ? "ACCEPTED" : "REJECTED");
  for (const auto& r : v.reasons) std::printf("; %s", r.c_str());
  std::printf("  (thresholds: true >= %.2f, null >= clean - %.2f", a.min_true, a.max_null_drop);
  if (a.min_clean > 0) std::printf(", clean >= %.2f", a.min_clean);
  if (a.random_keys + a.blind_keys > 0) std::printf(", p <= %g (false-acceptance rate)", a.far);
  std::printf(")\n");

  const auto keys_json = [](const NullKeys& k) {
    return nlohmann::json{{"count", k.count()},     {"null", k.null},           {"true", k.true_},
                          {"passing", k.passing},   {"reaching", k.reaching},   {"true_mean", k.true_mean},
                          {"true_max", k.true_max}, {"p_value", k.p_value}};
  };
  const auto interval = [](const Interval& i) { return std::vector<double>{i.lo, i.hi}; };
  nlohmann::json body = {
      {"nullmark_version", NULLMARK_VERSION},
      {"created", utc_now()},
      {"claim", nlohmann::json::parse(claim_to_json(claim))},
      {"model",
       {{"file", a.model},
        {"sha256", to_hex(sha256(model_bytes))},
        {"input_shape", ckpt.input_shape},
        {"classes", ckpt.classes}}},
      {"data", {{"name", d.name}, {"split", a.split}, {"samples", d.size()}, {"sha256", dataset_sha256(d)}}},
      {"watermark",
       {{"label", v.wm.label},
        {"row", v.wm.row},
        {"col", v.wm.col},
        {"n", v.wm.n},
        {"lambda", v.wm.lambda},
        {"space", v.wm.space},
        {"bits", bit_string(v.wm)}}},
      {"measurements",
       {{"clean", v.owner.clean},
        {"null", v.owner.null},
        {"true", v.owner.true_},
        {"samples", v.owner.samples},
        {"true_samples", v.owner.true_samples}}},
      {"intervals",
       {{"method", "Clopper-Pearson, 95 %, over the held-out samples (true: those not labelled y_W)"},
        {"clean", interval(v.clean_ci)},
        {"null", interval(v.null_ci)},
        {"true", interval(v.true_ci)}}},
      {"null_keys",
       {{"method",
         "one-sided empirical p-value (k + 1) / (N + 1) of the claim among N never-embedded keys measured on the "
         "same samples, k counting keys whose true and null accuracy both reach the claim's; random keys are uniformly random, blind "
         "keys carry the claim's label and position with random bits; the decision needs p <= the "
         "false-acceptance rate against both"},
        {"samples", a.random_samples},
        {"seed", a.seed},
        {"clean_on_subset", v.keys.clean_on_subset},
        {"owner_true_on_subset", v.keys.owner_true_on_subset},
        {"owner_null_on_subset", v.keys.owner_null_on_subset},
        {"false_acceptance_rate", a.far},
        {"p_value", v.keys.p_value()},
        {"random", keys_json(v.keys.random)},
        {"blind", keys_json(v.keys.blind)}}},
      {"thresholds",
       {{"min_true_accuracy", a.min_true}, {"max_null_drop", a.max_null_drop}, {"min_clean_accuracy", a.min_clean}}},
      {"decision", v.accepted ? "accepted" : "rejected"},
      {"reasons", v.reasons}};
  write_file_atomic(out, make_certificate(body, certifier));
  std::printf("certificate %s%s\n", out.c_str(), certifier ? " (signed)" : " (unsigned)");
  return v.accepted ? 0 : 2;
}

int verify_cert(const VerifyCertArgs& a) {
  set_threads(a.threads);
  const CertificateCheck c = check_certificate(read_file(a.cert));
  if (!c.ok) throw fail(a.cert, ": certificate check failed: ", c.problem);
  // Trust needs a pinned key: the key inside a certificate proves only that its holder signed it.
  std::vector<TrustedCertifier> pinned;
  if (!a.trust.empty()) pinned = load_trust_file(a.trust);
  for (const std::string& p : a.certifiers) pinned.push_back({p, load_public_key(p)});
  std::string trust;
  if (pinned.empty()) {
    trust = c.signed_ ? "integrity only: signed by key " + hex(c.signer) +
                            ", which no --certifier or --trust pins (anyone can re-sign a certificate)"
                      : "integrity only: unsigned, and no certifier pinned";
  } else {
    const auto it = std::find_if(pinned.begin(), pinned.end(),
                                 [&](const TrustedCertifier& t) { return c.signed_ && t.public_key == c.signer; });
    if (it == pinned.end())
      throw fail(a.cert, ": not trusted: ",
                 c.signed_ ? "signed by key " + hex(c.signer) + ", which is not a pinned certifier" : "unsigned",
                 " (", pinned.size(), " certifier(s) pinned)");
    trust = "trusted: signed by pinned certifier \"" + it->name + "\"";
  }
  const std::string recorded = c.body.at("model").at("sha256").get<std::string>();
  std::printf("%s: valid; %s; decision recorded: %s (model sha256 %s)\n", a.cert.c_str(), trust.c_str(),
              c.decision.c_str(), recorded.c_str());
  if (a.recheck && a.model.empty()) throw fail("--recheck needs --model: the model to measure again");
  if (a.model.empty()) return 0;
  const std::string split = c.body.at("data").at("split").get<std::string>();
  ModelAndData l = load_model_and_data(a.model, a.data_path, split, "cpu");
  if (to_hex(sha256(l.bytes)) != recorded)
    throw fail(a.model, ": this model file (sha256 ", to_hex(sha256(l.bytes)), ") is not the certified one (",
               recorded, ")");
  std::printf("model      %s: sha256 matches the certificate\n", a.model.c_str());
  if (!a.recheck) return 0;
  if (dataset_sha256(l.d) != c.body.at("data").at("sha256").get<std::string>())
    throw fail(a.model, ": the ", split, " data (", l.d.name, ") is not the certified data set (sha256 differs)");
  // Measure again with the certificate's own settings; CPU runs are deterministic, so every value
  // must come out the same.
  const nlohmann::json& b = c.body;
  const Claim claim = claim_from_json(b.at("claim").dump(), a.cert + ": claim");
  VerifyOptions opt;
  opt.thresholds.min_true = b.at("thresholds").at("min_true_accuracy").get<double>();
  opt.thresholds.max_null_drop = b.at("thresholds").at("max_null_drop").get<double>();
  opt.thresholds.min_clean = b.at("thresholds").at("min_clean_accuracy").get<double>();
  const nlohmann::json& k = b.at("null_keys");
  opt.random_keys = k.at("random").at("count").get<int>();
  opt.blind_keys = k.at("blind").at("count").get<int>();
  opt.far = k.at("false_acceptance_rate").get<double>();
  opt.random_samples = k.at("samples").get<long>();
  opt.seed = k.at("seed").get<uint64_t>();
  opt.data_mean = l.data.mean;
  opt.data_std = l.data.std;
  const Verification v = verify_claim(*l.net, l.d, claim, opt);
  const auto differs = [](const std::string& what, const nlohmann::json& got, const nlohmann::json& want) {
    if (got != want) throw fail("recheck: ", what, " measured ", got.dump(), ", the certificate says ", want.dump());
  };
  differs("clean accuracy", v.owner.clean, b.at("measurements").at("clean"));
  differs("null accuracy", v.owner.null, b.at("measurements").at("null"));
  differs("true accuracy", v.owner.true_, b.at("measurements").at("true"));
  differs("random keys' true accuracy", v.keys.random.true_, k.at("random").at("true"));
  differs("random keys' null accuracy", v.keys.random.null, k.at("random").at("null"));
  differs("blind keys' true accuracy", v.keys.blind.true_, k.at("blind").at("true"));
  differs("blind keys' null accuracy", v.keys.blind.null, k.at("blind").at("null"));
  differs("decision", v.accepted ? "accepted" : "rejected", b.at("decision"));
  std::printf("recheck    measurements, null keys and decision reproduced exactly\n");
  return 0;
}

}  // namespace nullmark::commands
