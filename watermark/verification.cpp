#include "watermark/verification.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "common/sha256.h"

namespace nullmark {

namespace {
// Random key i: an Ed25519 key pair from a seed hashed from (run seed, i), signing the claim's own
// verifier string, so random keys differ from the claim only in the key.
Signature random_signature(uint64_t seed, int i, const std::string& verifier) {
  const std::string tag = "nullmark-random-key/" + std::to_string(seed) + "/" + std::to_string(i);
  const Digest d = sha256(tag);
  Seed s;
  std::copy(d.begin(), d.end(), s.begin());
  return sign_message(keypair_from_seed(s), verifier);
}
}  // namespace

void summarise_random_keys(RandomKeyStats& r, double clean_subset, const VerifyThresholds& t) {
  const size_t m = r.true_.size();
  r.passing = 0;
  double sum = 0, sq = 0;
  r.true_max = 0;
  for (size_t i = 0; i < m; ++i) {
    r.passing += t.pass(clean_subset, r.null[i], r.true_[i]);
    sum += r.true_[i];
    r.true_max = std::max(r.true_max, r.true_[i]);
  }
  r.true_mean = m ? sum / m : 0;
  for (double v : r.true_) sq += (v - r.true_mean) * (v - r.true_mean);
  r.true_std = m > 1 ? std::sqrt(sq / (m - 1)) : 0;
  r.owner_true_z = r.true_std > 0 ? (r.owner_true_on_subset - r.true_mean) / r.true_std : 0;
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
  Verification v;
  const int classes = static_cast<int>(net.output_shape().numel());
  v.wm = watermark_for(claim, net.input_shape(), classes, opt.data_mean, opt.data_std);
  v.owner = evaluate_watermark(net, data, v.wm);
  const WatermarkAccuracy owner_subset = evaluate_watermark(net, data, v.wm, opt.random_samples);
  v.random.owner_true_on_subset = owner_subset.true_;
  v.random.clean_on_subset = owner_subset.clean;
  const bool tty = isatty(STDERR_FILENO);
  for (int i = 0; i < opt.random_keys; ++i) {
    Watermark w = derive_watermark(random_signature(opt.seed, i, claim.verifier), v.wm.shape, classes, claim.n,
                                   static_cast<float>(claim.lambda));
    w.copy_space(v.wm);  // random keys stamp in the claim's space
    const WatermarkAccuracy a = evaluate_watermark(net, data, w, opt.random_samples);
    v.random.null.push_back(a.null);
    v.random.true_.push_back(a.true_);
    if ((i + 1) % 10 == 0 || i + 1 == opt.random_keys) {
      // Redraw one line on a terminal; one line per update in a log.
      std::fprintf(stderr, "%srandom keys: %d/%d measured%s", tty ? "\r" : "", i + 1, opt.random_keys, tty ? "" : "\n");
      std::fflush(stderr);
    }
  }
  if (opt.random_keys && tty) std::fprintf(stderr, "\n");
  summarise_random_keys(v.random, owner_subset.clean, opt.thresholds);
  v.reasons = opt.thresholds.failures(v.owner.clean, v.owner.null, v.owner.true_);
  v.accepted = v.reasons.empty();
  return v;
}

}  // namespace nullmark
