#include "watermark/forgery.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <string>

#include "common/binomial.h"
#include "common/error.h"
#include "common/threads.h"
#include "watermark/claim_message.h"

namespace nullmark {

double placement_odds(const Watermark& w, int classes) {
  return double(classes) * (w.shape.h - w.n + 1) * (w.shape.w - w.n + 1);
}

double log2_forgery_cost(const Watermark& owner, int classes, int bits) {
  const long n2 = static_cast<long>(owner.n) * owner.n;
  NM_CHECK(bits >= 0 && bits <= n2, "bit agreement ", bits, " is outside [0, ", n2, "]");
  return std::log2(placement_odds(owner, classes)) - log2_binomial_upper_tail_half(bits, n2);
}

int bit_agreement(const Watermark& a, const Watermark& b) {
  NM_CHECK(a.bits.size() == b.bits.size(), "bit agreement of patterns of different sizes");
  int same = 0;
  for (size_t i = 0; i < a.bits.size(); ++i) same += a.bits[i] == b.bits[i];
  return same;
}

Watermark forged_watermark(const Watermark& owner, int agree, std::mt19937_64& rng) {
  const int n2 = static_cast<int>(owner.bits.size());
  NM_CHECK(agree >= 0 && agree <= n2, "bit agreement ", agree, " is outside [0, ", n2, "]");
  std::vector<int> cells(n2);
  std::iota(cells.begin(), cells.end(), 0);
  std::shuffle(cells.begin(), cells.end(), rng);
  Watermark w = owner;
  for (int i = agree; i < n2; ++i) w.bits[cells[i]] ^= 1;  // the first `agree` cells keep the owner's bit
  return w;
}

GrindResult grind_claims(const Claim& owner, const Watermark& owner_wm, int classes, long signatures, uint64_t seed,
                         int keep) {
  NM_CHECK(signatures >= 0, "grind_claims: the signature count must be >= 0");
  GrindResult r;
  const SigningKey signer(derived_keypair("nullmark-forgery-grind/" + std::to_string(seed)));
  std::vector<long> hits;  // indices of the claims that match the owner's label and position
  const auto start = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(thread_count())
  {
#pragma omp single
    r.threads = omp_get_num_threads();
    Claim c = owner;
    c.public_key = signer.public_key();
    std::vector<long> mine;
#pragma omp for schedule(static)
    for (long i = 0; i < signatures; ++i) {
      c.verifier = "forger/" + std::to_string(i);
      c.signature = signer.sign(claim_message(c));
      const Watermark w = derive_watermark(c.signature, owner_wm.shape, classes, owner.n, owner_wm.lambda);
      if (w.label == owner_wm.label && w.row == owner_wm.row && w.col == owner_wm.col) mine.push_back(i);
    }
#pragma omp critical(nullmark_grind)
    hits.insert(hits.end(), mine.begin(), mine.end());
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.signatures = signatures;
  r.found = static_cast<long>(hits.size());
  std::sort(hits.begin(), hits.end());
  for (long i : hits) {  // re-sign the kept ones: cheaper than keeping every claim in the loop
    if (static_cast<int>(r.matches.size()) >= keep) break;
    Claim c = owner;
    c.public_key = signer.public_key();
    c.verifier = "forger/" + std::to_string(i);
    c.signature = signer.sign(claim_message(c));
    r.agreement.push_back(
        bit_agreement(derive_watermark(c.signature, owner_wm.shape, classes, owner.n, owner_wm.lambda), owner_wm));
    r.matches.push_back(c);
  }
  return r;
}

}  // namespace nullmark
