#include "watermark/verification.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "common/error.h"
#include "common/sha256.h"

namespace nullmark {

Watermark never_embedded_key(const std::string& kind, uint64_t seed, int i, const Claim& claim, const Watermark& like,
                             int classes) {
  Watermark w = derive_watermark(
      sign_message(derived_keypair(kind + "/" + std::to_string(seed) + "/" + std::to_string(i)), claim.verifier),
      like.shape, classes, claim.n, static_cast<float>(claim.lambda));
  w.copy_space(like);
  return w;
}

namespace {

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}
}  // namespace

double NullModel::p_value() const {
  double p = 0;
  if (random.count()) p = std::max(p, random.p_value);
  if (blind.count()) p = std::max(p, blind.p_value);
  return random.count() || blind.count() ? p : 1.0;
}

void summarise_null_keys(NullKeys& k, const NullModel& m, const VerifyThresholds& t) {
  const size_t count = k.true_.size();
  k.passing = k.reaching = 0;
  double sum = 0;
  k.true_max = 0;
  for (size_t i = 0; i < count; ++i) {
    k.passing += t.pass(m.clean_on_subset, k.null[i], k.true_[i]);
    k.reaching += k.true_[i] >= m.owner_true_on_subset && k.null[i] >= m.owner_null_on_subset;
    sum += k.true_[i];
    k.true_max = std::max(k.true_max, k.true_[i]);
  }
  k.true_mean = count ? sum / count : 0;
  k.p_value = (k.reaching + 1.0) / (count + 1.0);
}

std::string far_problem(double far, int random_keys, int blind_keys) {
  if (random_keys == 0 && blind_keys == 0) return "";
  if (!(far > 0 && far < 1)) return "the false-acceptance rate must be in (0, 1), got " + percent(far);
  for (const auto& [n, what] : {std::pair{random_keys, "random"}, std::pair{blind_keys, "blind"}}) {
    if (n > 0 && 1.0 / (n + 1) > far)
      return std::string("with ") + std::to_string(n) + " " + what + " keys the smallest p-value is 1/" +
             std::to_string(n + 1) + " = " + percent(1.0 / (n + 1)) + ", above the false-acceptance rate " +
             percent(far) + ": measure at least " + std::to_string(static_cast<long>(std::ceil(1 / far - 1 - 1e-9))) +
             " keys of each kind, or raise the rate";
  }
  return "";
}

std::vector<std::string> far_failures(const NullModel& m, double far) {
  std::vector<std::string> out;
  for (const auto& [k, what] : {std::pair{&m.random, "random"}, std::pair{&m.blind, "blind-forger"}})
    if (k->count() && k->p_value > far)
      out.push_back("p-value " + percent(k->p_value) + " against " + what + " keys (" + std::to_string(k->reaching) +
                    " of " + std::to_string(k->count()) + " reach the claim's true and null accuracy) exceeds the "
                    "false-acceptance rate " + percent(far));
  return out;
}

Watermark blind_key(const Watermark& random, const Watermark& claim) {
  Watermark w = random;
  w.label = claim.label;
  w.row = claim.row;
  w.col = claim.col;
  w.copy_space(claim);
  return w;
}

std::vector<std::string> VerifyThresholds::failures(double clean, double null, double true_) const {
  std::vector<std::string> out;
  char buf[200];
  const unsigned m = missed(clean, null, true_);
  if (m & kMissedClean) {
    std::snprintf(buf, sizeof buf, "clean accuracy %.4f is below the threshold %.4f", clean, min_clean);
    out.push_back(buf);
  }
  if (m & kMissedTrue) {
    std::snprintf(buf, sizeof buf, "true accuracy %.4f is below the threshold %.4f", true_, min_true);
    out.push_back(buf);
  }
  if (m & kMissedNull) {
    std::snprintf(buf, sizeof buf, "null accuracy %.4f trails clean accuracy %.4f by more than %.4f", null, clean,
                  max_null_drop);
    out.push_back(buf);
  }
  return out;
}

Verification verify_claim(Network& net, const Dataset& data, const Claim& claim, const VerifyOptions& opt) {
  const std::string why = far_problem(opt.far, opt.random_keys, opt.blind_keys);
  NM_CHECK(why.empty(), why);
  Verification v;
  const int classes = static_cast<int>(net.output_shape().numel());
  v.wm = watermark_for(claim, net.input_shape(), classes, opt.data_mean, opt.data_std);
  v.owner = evaluate_watermark(net, data, v.wm);
  const auto count = [](double share, long n) { return static_cast<long>(std::llround(share * n)); };
  v.clean_ci = clopper_pearson(count(v.owner.clean, v.owner.samples), v.owner.samples);
  v.null_ci = clopper_pearson(count(v.owner.null, v.owner.samples), v.owner.samples);
  v.true_ci = clopper_pearson(count(v.owner.true_, v.owner.true_samples), v.owner.true_samples);
  const WatermarkAccuracy owner_subset = evaluate_watermark(net, data, v.wm, opt.random_samples);
  v.keys.owner_true_on_subset = owner_subset.true_;
  v.keys.clean_on_subset = owner_subset.clean;
  v.keys.owner_null_on_subset = owner_subset.null;
  const bool tty = isatty(STDERR_FILENO);
  const int total = opt.random_keys + opt.blind_keys;
  for (int i = 0; i < total; ++i) {
    const bool blind = i >= opt.random_keys;
    const int j = blind ? i - opt.random_keys : i;
    // Random keys keep the tag they always had, so their values reproduce earlier certificates.
    Watermark w = never_embedded_key(blind ? "nullmark-blind-key" : "nullmark-random-key", opt.seed, j, claim, v.wm,
                                     classes);
    if (blind) w = blind_key(w, v.wm);
    const WatermarkAccuracy a = evaluate_watermark(net, data, w, opt.random_samples);
    NullKeys& k = blind ? v.keys.blind : v.keys.random;
    k.null.push_back(a.null);
    k.true_.push_back(a.true_);
    if ((i + 1) % 10 == 0 || i + 1 == total) {
      // Redraw one line on a terminal; one line per update in a log.
      std::fprintf(stderr, "%snull keys: %d/%d measured (%d random, %d blind)%s", tty ? "\r" : "", i + 1, total,
                   opt.random_keys, opt.blind_keys, tty ? "" : "\n");
      std::fflush(stderr);
    }
  }
  if (total && tty) std::fprintf(stderr, "\n");
  summarise_null_keys(v.keys.random, v.keys, opt.thresholds);
  summarise_null_keys(v.keys.blind, v.keys, opt.thresholds);
  v.reasons = opt.thresholds.failures(v.owner.clean, v.owner.null, v.owner.true_);
  for (const std::string& r : far_failures(v.keys, opt.far)) v.reasons.push_back(r);
  v.accepted = v.reasons.empty();
  return v;
}

}  // namespace nullmark
