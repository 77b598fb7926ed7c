// Central-difference gradient checks in double precision, tolerance relative with a floor of 1:
// |numeric - analytic| <= tol * max(1, |numeric|, |analytic|).
#pragma once
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace nullmark::test {

inline std::vector<double> random_vec(size_t n, uint64_t seed, double lo = -1.0, double hi = 1.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

// Float values for tests of the float-only layer stack and the CUDA kernels.
inline std::vector<float> random_floats(size_t n, uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

// Integers -3 .. 3 as floats: their products and sums are exact in float, so kernels that add in
// different orders must agree bit for bit.
inline std::vector<float> small_ints(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(static_cast<int>(rng() % 7) - 3);
  return v;
}

inline double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// Central differences over v[0], v[stride], v[2 * stride], ... (`count` values, float or double)
// against `analytic`; `loss` recomputes the scalar objective from the current contents of `v`.
template <class T, class Loss>
void check_gradient_at(const std::string& what, T* v, const T* analytic, size_t count, size_t stride, Loss loss,
                       double eps, double tol) {
  size_t bad = 0;
  for (size_t i = 0; i < count; i += stride) {
    const T keep = v[i];
    v[i] = static_cast<T>(keep + eps);
    const double up = loss();
    v[i] = static_cast<T>(keep - eps);
    const double down = loss();
    v[i] = keep;
    const double numeric = (up - down) / (2 * eps);
    const double scale = std::max({1.0, std::fabs(numeric), std::fabs(static_cast<double>(analytic[i]))});
    if (std::fabs(numeric - analytic[i]) > tol * scale && bad++ < 5)
      FAIL_CHECK(what << "[" << i << "]: numeric " << numeric << " vs analytic " << analytic[i]);
  }
  CHECK(bad == 0);
}

// Every value of v, in double precision.
template <class Loss>
void check_gradient(const std::string& what, std::vector<double>& v, const std::vector<double>& analytic, Loss loss,
                    double eps = 1e-6, double tol = 1e-6) {
  REQUIRE(v.size() == analytic.size());
  check_gradient_at(what, v.data(), analytic.data(), v.size(), 1, loss, eps, tol);
}

}  // namespace nullmark::test
