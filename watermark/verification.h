// Ownership verification of a claim on a model (spec v1, "Verification"):
//   1. the claim's signature must verify (checked by load_verified_claim before any model runs);
//   2. derive the watermark for the model's input shape and class count;
//   3. measure clean, null and true accuracy on labelled held-out data;
//   4. measure the same for never-embedded keys of two kinds, uniformly random keys and the blind
//      forger's (the claim's label and position with random bits), and give the claim's one-sided
//      empirical p-value against each;
//   5. decide with documented thresholds and a false-acceptance rate the p-values must meet.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "datasets/dataset.h"
#include "nn/network.h"
#include "common/binomial.h"
#include "watermark/claim.h"
#include "watermark/embedding.h"

namespace nullmark {

struct VerifyThresholds {
  double min_true = 0.90;       // true accuracy (share of inverted-pattern samples sent to y_W)
  double max_null_drop = 0.03;  // null accuracy may trail clean accuracy by at most this much
  // The model's clean accuracy must reach this. 0, the default, is the paper's rule, which judges
  // the watermark alone: there a model that has collapsed to the claimed label (clean = null = 10 %,
  // true 100 %) passes, as a pirate training on stamped samples only leaves it (docs/research-leads.md).
  double min_clean = 0.0;
  // The thresholds one key's measurements miss, as bits; 0: the claim passes. The conditions live
  // here only; pass() runs per random key and per attack measurement, so it formats nothing.
  static constexpr unsigned kMissedClean = 1, kMissedTrue = 2, kMissedNull = 4;
  unsigned missed(double clean, double null, double true_) const {
    return (clean < min_clean ? kMissedClean : 0u) | (true_ < min_true ? kMissedTrue : 0u) |
           (null < clean - max_null_drop ? kMissedNull : 0u);
  }
  bool pass(double clean, double null, double true_) const { return missed(clean, null, true_) == 0; }
  // The same, each missed threshold as a sentence (clean, true, null order).
  std::vector<std::string> failures(double clean, double null, double true_) const;
};

struct VerifyOptions {
  VerifyThresholds thresholds;
  int random_keys = 100;       // uniformly random never-embedded keys
  int blind_keys = 100;        // the blind forger's keys: the claim's label and position, random bits
  long random_samples = 1000;  // held-out samples each null key (and the claim, for comparison) is measured on
  uint64_t seed = 1;           // null keys are reproducible from this seed
  // The false-acceptance rate the decision allows: the claim's p-value against each kind of null
  // key must not exceed it. With N keys the smallest p-value is 1/(N+1), so N must reach 1/far - 1.
  // No null keys at all (both counts 0): no rate is stated and the thresholds alone decide.
  double far = 0.01;
  // The data's normalisation (per channel, [0, 1] pixel scale): a raw-space claim's stamp map.
  std::vector<double> data_mean, data_std;
};

// One null model: keys that were never embedded, each measured like the claim on the same samples.
// The p-value is one-sided and empirical, (k + 1) / (N + 1), where k counts the keys whose evidence
// is at least the claim's on both of the rule's measures: true accuracy at least the claim's and
// null accuracy at least the claim's (on the same samples, so a null gap no larger). Ties count
// against the claim. True accuracy alone saturates at 100 %, where a blind forger's key that
// wrecks null accuracy would tie with the owner's.
struct NullKeys {
  std::vector<double> null, true_;  // per key
  int passing = 0;                  // keys the thresholds would accept
  int reaching = 0;                 // keys with true and null accuracy >= the claim's
  double true_mean = 0, true_max = 0;
  double p_value = 1.0;
  int count() const { return static_cast<int>(true_.size()); }
};

struct NullModel {
  NullKeys random, blind;
  double owner_true_on_subset = 0;  // the claim on the same subset, for a like-for-like comparison
  double owner_null_on_subset = 0;
  double clean_on_subset = 0;       // clean accuracy on that subset (the keys' null reference)
  // The claim's p-value against the stronger of the two null models (1 when none was measured).
  double p_value() const;
};

struct Verification {
  Watermark wm;
  WatermarkAccuracy owner;
  Interval clean_ci, null_ci, true_ci;  // 95 % Clopper-Pearson over the held-out samples
  NullModel keys;
  bool accepted = false;
  std::vector<std::string> reasons;
};

// The null keys' figures from their per-key values (shared with certificate checks).
void summarise_null_keys(NullKeys& k, const NullModel& m, const VerifyThresholds& t);
// Why a false-acceptance rate cannot be shown with these key counts ("" when it can).
std::string far_problem(double far, int random_keys, int blind_keys);
// The reasons for rejection that the p-values add to the thresholds' (none when no keys were measured).
std::vector<std::string> far_failures(const NullModel& m, double far);
// Never-embedded key i of a kind (a tag): an Ed25519 key pair from SHA-256(kind/seed/i) signs the
// claim's own verifier string, so the key differs from the claim only in the key; its watermark is
// derived for `like`'s shape and stamps in `like`'s space.
Watermark never_embedded_key(const std::string& kind, uint64_t seed, int i, const Claim& claim, const Watermark& like,
                             int classes);
// A blind forger's key: a random key's bits at the claim's label and position.
Watermark blind_key(const Watermark& random, const Watermark& claim);

Verification verify_claim(Network& net, const Dataset& data, const Claim& claim, const VerifyOptions& opt);

}  // namespace nullmark
