// What it costs to forge an ownership claim. A forger who knows the owner's public claim wants a
// claim of its own (its own key, any verifier string) whose watermark the owner's model already
// carries. Ed25519 signatures cost nothing to try offline, so the forger grinds: sign, derive,
// compare, repeat. A derived watermark matches the owner's label and position with odds
// 1 / (K (H - n + 1) (W - n + 1)) and, independently, agrees with at least k of the owner's n^2
// bits with the binomial tail P[Bin(n^2, 1/2) >= k].
#pragma once
#include <cstdint>
#include <random>
#include <vector>

#include "watermark/claim.h"
#include "watermark/derivation.h"

namespace nullmark {

// K (H - n + 1) (W - n + 1): the expected signatures for one label-and-position match.
double placement_odds(const Watermark& w, int classes);
// log2 of the expected signatures for a claim with the owner's label and position and at least
// `bits` of its n^2 bits.
double log2_forgery_cost(const Watermark& owner, int classes, int bits);
// How many of two equal-size patterns' bits agree.
int bit_agreement(const Watermark& a, const Watermark& b);
// A watermark with the owner's label, position and stamp map and exactly `agree` bits equal to the
// owner's, the disagreeing ones drawn by rng: a forgery at a controlled level, made without the
// grinding it would cost.
Watermark forged_watermark(const Watermark& owner, int agree, std::mt19937_64& rng);

struct GrindResult {
  long signatures = 0;  // claims signed and derived
  double seconds = 0;
  int threads = 0;
  long found = 0;  // claims whose watermark has the owner's label and position (blind forgeries)
  // The first of them (at most `keep`), with their bit agreement.
  std::vector<Claim> matches;
  std::vector<int> agreement;
  double rate() const { return seconds > 0 ? signatures / seconds : 0; }
};

// Grinds `signatures` claims on every thread: a forger key (from `seed`) signs claims with the
// owner's parameters and verifier strings "forger/I", I = 0 .. signatures - 1; each claim's
// watermark is derived for the model, and those with the owner's label and position are counted
// and the first `keep` (by I) kept. The claims tried do not depend on the thread count, so the
// finds reproduce; only the time does not.
GrindResult grind_claims(const Claim& owner, const Watermark& owner_wm, int classes, long signatures, uint64_t seed,
                         int keep);

}  // namespace nullmark
