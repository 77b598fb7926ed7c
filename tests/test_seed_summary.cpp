// The per-setting summary of a sweep: mean, sample standard deviation, extremes and every value.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "common/error.h"
#include "experiments/drivers/seed_summary.h"

using namespace nullmark;

TEST_CASE("a sweep's seed summary keeps the spread that mean and std hide", "[sweep]") {
  // Outcomes that split by seed, as the MNIST piracy sweep's did: two runs ruined, two not.
  const std::vector<double> v{0.96, 0.22, 0.92, 0.30};
  const SeedSummary s = summarise_seeds(v);
  CHECK(s.mean == Approx(0.60));
  // Squared deviations 0.1296 + 0.1444 + 0.1024 + 0.09 = 0.4664 over n - 1 = 3.
  CHECK(s.sd == Approx(std::sqrt(0.4664 / 3)));
  CHECK(s.min == 0.22);
  CHECK(s.max == 0.96);
  CHECK(s.values == v);  // in run order, not sorted
  CHECK(s.runs() == 4);
}

TEST_CASE("a sweep's seed summary of one run has no deviation, and of none is an error", "[sweep]") {
  const SeedSummary one = summarise_seeds({0.5});
  CHECK(one.mean == 0.5);
  CHECK(one.sd == 0.0);
  CHECK(one.min == 0.5);
  CHECK(one.max == 0.5);
  CHECK_THROWS_AS(summarise_seeds({}), Error);
}

TEST_CASE("a sweep pools the runs of its seed axes: seed and keys ending in _seed", "[sweep]") {
  CHECK(is_seed_axis("seed"));
  CHECK(is_seed_axis("piracy.key_seed"));
  CHECK(is_seed_axis("a.b.seed"));
  CHECK_FALSE(is_seed_axis("piracy.data_fraction"));
  CHECK_FALSE(is_seed_axis("piracy.seeds"));
  CHECK_FALSE(is_seed_axis("reseed"));
  CHECK_FALSE(is_seed_axis("_seed.x"));
  CHECK_FALSE(is_seed_axis(""));
}
