// The GPU convolution's index splitting (kernels/cuda/fast_div.h), checked on the host against the
// / and % operators: every divisor up to 4100 over edge and random numerators, and large divisors.
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/cuda/fast_div.h"

using nullmark::cuda::FastDiv;

TEST_CASE("FastDiv: quotient and remainder equal / and % for n < 2^31", "[fast_div]") {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> any(0, INT32_MAX);
  std::vector<int> divisors;
  for (int d = 1; d <= 4100; ++d) divisors.push_back(d);
  for (int d : {65535, 65536, 65537, 1 << 20, (1 << 20) + 1, 1000003, (1 << 30) - 1, 1 << 30, (1 << 30) + 1, INT32_MAX})
    divisors.push_back(d);
  long misses = 0;
  for (int d : divisors) {
    const FastDiv f(d);
    std::vector<int> ns{0, 1, d - 1, d, d < INT32_MAX ? d + 1 : d, 2 * (d / 2) + 1, INT32_MAX, INT32_MAX - 1, INT32_MAX - d + 1};
    for (int i = 0; i < 200; ++i) ns.push_back(any(rng));
    for (int m = 1; m < 64; ++m)  // exact multiples and their neighbours, where rounding would show
      if (static_cast<int64_t>(d) * m < INT32_MAX) ns.insert(ns.end(), {d * m - 1, d * m});
    for (int n : ns) {
      if (n < 0) continue;
      if (f.div(n) != n / d || f.mod(n) != n % d) {
        if (misses++ < 5) FAIL_CHECK(n << " / " << d << ": " << f.div(n) << " rem " << f.mod(n));
      }
    }
  }
  CHECK(misses == 0);
  CHECK(FastDiv().div(12345) == 12345);  // the default divides by one
}
