// Exact binomial statistics against values computed independently (scipy.stats.beta.ppf for the
// interval ends, exact sums of binomial coefficients for the tails).
#include <catch2/catch.hpp>
#include <cmath>

#include "common/binomial.h"
#include "error_of.h"

using namespace nullmark;

TEST_CASE("Clopper-Pearson intervals match the exact values", "[stats]") {
  const Interval half = clopper_pearson(5, 10);  // beta.ppf(0.025, 5, 6), beta.ppf(0.975, 6, 5)
  CHECK(half.lo == Approx(0.18708602844739855).epsilon(1e-9));
  CHECK(half.hi == Approx(0.8129139715526015).epsilon(1e-9));
  const Interval none = clopper_pearson(0, 10);  // upper: 1 - 0.025^(1/10)
  CHECK(none.lo == 0.0);
  CHECK(none.hi == Approx(1 - std::pow(0.025, 0.1)).epsilon(1e-9));
  const Interval all = clopper_pearson(10, 10);
  CHECK(all.hi == 1.0);
  CHECK(all.lo == Approx(std::pow(0.025, 0.1)).epsilon(1e-9));
  const Interval big = clopper_pearson(9853, 10000);  // beta.ppf(0.025, 9853, 148), beta.ppf(0.975, 9854, 147)
  CHECK(big.lo == Approx(0.9827446723186988).epsilon(1e-9));
  CHECK(big.hi == Approx(0.9875666445294714).epsilon(1e-9));
  const Interval empty = clopper_pearson(0, 0);
  CHECK((empty.lo == 0.0 && empty.hi == 1.0));
  CHECK_THAT(test::error_of([] { clopper_pearson(11, 10); }), Catch::Contains("need 0 <= k <= n"));
}

TEST_CASE("binomial tails match exact sums", "[stats]") {
  // sum_{k >= 28} C(36, k) / 2^36 and sum_{k >= 60} C(100, k) / 2^100
  CHECK(binomial_upper_tail(28, 36, 0.5) == Approx(0.0005966214812360704).epsilon(1e-9));
  CHECK(binomial_upper_tail(60, 100, 0.5) == Approx(0.028443966820490395).epsilon(1e-9));
  CHECK(binomial_upper_tail(36, 36, 0.5) == Approx(std::ldexp(1.0, -36)).epsilon(1e-9));
  CHECK(binomial_upper_tail(0, 36, 0.5) == 1.0);
  CHECK(binomial_upper_tail(37, 36, 0.5) == 0.0);
  CHECK(binomial_upper_tail(1, 1, 0.3) == Approx(0.3));
}

TEST_CASE("log2 binomial tails of a fair coin, down to 1024 bits", "[stats]") {
  CHECK(log2_binomial_upper_tail_half(28, 36) == Approx(std::log2(0.0005966214812360704)).epsilon(1e-9));
  CHECK(log2_binomial_upper_tail_half(36, 36) == Approx(-36.0).epsilon(1e-12));
  CHECK(log2_binomial_upper_tail_half(1024, 1024) == Approx(-1024.0).epsilon(1e-12));
  // log2 of sum_{j >= 900} C(1024, j) / 2^1024, from exact integers (Python)
  CHECK(log2_binomial_upper_tail_half(900, 1024) == Approx(-483.2208600496041).epsilon(1e-9));
  CHECK(log2_binomial_upper_tail_half(0, 36) == 0.0);
  CHECK(std::isinf(log2_binomial_upper_tail_half(37, 36)));
}
