#include "common/binomial.h"

#include <cmath>

#include "common/error.h"

namespace nullmark {

namespace {
// The continued fraction of I_x(a, b) (modified Lentz), which converges fast for x < (a+1)/(a+b+2).
double beta_fraction(double a, double b, double x) {
  const double tiny = 1e-300;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (std::fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 10000; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    c = 1 + aa / c;
    if (std::fabs(d) < tiny) d = tiny;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    c = 1 + aa / c;
    if (std::fabs(d) < tiny) d = tiny;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double step = d * c;
    h *= step;
    if (std::fabs(step - 1) < 1e-15) break;
  }
  return h;
}

// The x with I_x(a, b) = q, by bisection: I_x is increasing in x.
double beta_quantile(double a, double b, double q) {
  double lo = 0, hi = 1;
  for (int i = 0; i < 200 && hi - lo > 1e-16; ++i) {
    const double mid = 0.5 * (lo + hi);
    (incomplete_beta(a, b, mid) < q ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}
}  // namespace

double incomplete_beta(double a, double b, double x) {
  NM_CHECK(a > 0 && b > 0 && x >= 0 && x <= 1, "incomplete_beta(", a, ", ", b, ", ", x, "): out of domain");
  if (x == 0 || x == 1) return x;
  const double front =
      std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return front * beta_fraction(a, b, x) / a;
  return 1 - front * beta_fraction(b, a, 1 - x) / b;
}

Interval clopper_pearson(long k, long n, double confidence) {
  NM_CHECK(n >= 0 && k >= 0 && k <= n, "clopper_pearson: need 0 <= k <= n, got k = ", k, ", n = ", n);
  NM_CHECK(confidence > 0 && confidence < 1, "clopper_pearson: confidence must be in (0, 1)");
  Interval r;
  if (n == 0) return r;
  const double tail = (1 - confidence) / 2;
  r.lo = k == 0 ? 0.0 : beta_quantile(double(k), double(n - k + 1), tail);
  r.hi = k == n ? 1.0 : beta_quantile(double(k + 1), double(n - k), 1 - tail);
  return r;
}

double binomial_upper_tail(long k, long n, double p) {
  NM_CHECK(n >= 0 && p >= 0 && p <= 1, "binomial_upper_tail: need n >= 0 and 0 <= p <= 1");
  if (k <= 0) return 1.0;
  if (k > n) return 0.0;
  if (p == 0) return 0.0;
  if (p == 1) return 1.0;
  return incomplete_beta(double(k), double(n - k + 1), p);  // P[X >= k] = I_p(k, n - k + 1)
}

double log2_binomial_upper_tail_half(long k, long n) {
  NM_CHECK(n >= 0, "log2_binomial_upper_tail_half: n must be >= 0");
  if (k <= 0) return 0.0;
  if (k > n) return -INFINITY;
  // log C(n, j) for j = k..n, summed by log-sum-exp around the largest term.
  const auto log_choose = [n](long j) { return std::lgamma(n + 1.0) - std::lgamma(j + 1.0) - std::lgamma(n - j + 1.0); };
  const long peak = std::max(k, n / 2);  // the largest C(n, j) with j >= k
  const double top = log_choose(peak);
  double sum = 0;
  for (long j = k; j <= n; ++j) sum += std::exp(log_choose(j) - top);
  return (top + std::log(sum)) / std::log(2.0) - n;
}

}  // namespace nullmark
