// The forgery attack's building blocks: grinding real signed claims, forged patterns at a set bit
// agreement, and the cost arithmetic.
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "common/binomial.h"
#include "common/threads.h"
#include "watermark/embedding.h"
#include "watermark/forgery.h"

using namespace nullmark;

namespace {
Claim owner_claim(const std::vector<int>& input, int classes, int n) {
  return make_claim(derived_keypair("test-owner"), "acme/forgery-test", n, 10.0, "normalized", input, classes);
}
}  // namespace

TEST_CASE("forgery cost: placement odds times the binomial tail of the bits", "[forgery]") {
  const Claim c = owner_claim({1, 28, 28}, 10, 6);
  const Watermark w = watermark_pattern(c, Shape{1, 28, 28}, 10);
  CHECK(placement_odds(w, 10) == 10.0 * 23 * 23);
  CHECK(log2_forgery_cost(w, 10, 36) == Approx(std::log2(5290.0) + 36).epsilon(1e-12));
  CHECK(log2_forgery_cost(w, 10, 0) == Approx(std::log2(5290.0)).epsilon(1e-12));
  CHECK(log2_forgery_cost(w, 10, 28) ==
        Approx(std::log2(5290.0) - std::log2(binomial_upper_tail(28, 36, 0.5))).epsilon(1e-9));
}

TEST_CASE("forged patterns agree with the owner's in exactly the asked number of bits", "[forgery]") {
  const Claim c = owner_claim({1, 28, 28}, 10, 6);
  const Watermark owner = watermark_pattern(c, Shape{1, 28, 28}, 10);
  std::mt19937_64 rng(3);
  for (int agree : {0, 1, 18, 29, 36}) {
    const Watermark f = forged_watermark(owner, agree, rng);
    CHECK(bit_agreement(f, owner) == agree);
    CHECK((f.label == owner.label && f.row == owner.row && f.col == owner.col && f.n == owner.n));
  }
}

TEST_CASE("grinding finds real claims that derive the owner's label and position", "[forgery]") {
  // A 6x6 input with a 6x6 pattern and 2 classes: one signature in two matches, so a short grind finds many.
  const std::vector<int> input{1, 6, 6};
  const Claim c = owner_claim(input, 2, 6);
  const Watermark owner = watermark_pattern(c, Shape{1, 6, 6}, 2);
  set_threads(2);
  const GrindResult g = grind_claims(c, owner, 2, 400, 1, 50);
  CHECK(g.signatures == 400);
  CHECK(g.rate() > 0);
  REQUIRE(g.matches.size() >= 5);
  CHECK(g.found >= static_cast<long>(g.matches.size()));
  CHECK(g.matches.size() <= 50);
  for (size_t i = 0; i < g.matches.size(); ++i) {
    const Claim& m = g.matches[i];
    CHECK(m.signature_valid());  // a real signature by the forger's key, over the owner's parameters
    CHECK(m.public_key != c.public_key);
    CHECK((m.n == c.n && m.lambda == c.lambda && m.input == c.input && m.classes == c.classes));
    const Watermark w = watermark_pattern(m, Shape{1, 6, 6}, 2);
    CHECK((w.label == owner.label && w.row == owner.row && w.col == owner.col));
    CHECK(bit_agreement(w, owner) == g.agreement[i]);
  }
  // The claims tried, and so the finds, do not depend on the thread count.
  set_threads(1);
  const GrindResult one = grind_claims(c, owner, 2, 400, 1, 50);
  CHECK(one.found == g.found);
  REQUIRE(one.matches.size() == g.matches.size());
  for (size_t i = 0; i < g.matches.size(); ++i) CHECK(one.matches[i].signature == g.matches[i].signature);
  set_threads(0);
}
