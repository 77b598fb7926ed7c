// Exact binomial statistics for verification reports and forgery costs: Clopper-Pearson intervals
// on an accuracy measured over n samples, and binomial tail probabilities (how likely k or more of
// n fair coin flips agree), both through the regularised incomplete beta function.
#pragma once

namespace nullmark {

struct Interval {
  double lo = 0, hi = 1;
};

// I_x(a, b), the regularised incomplete beta function, for a, b > 0 and 0 <= x <= 1.
double incomplete_beta(double a, double b, double x);

// The exact (Clopper-Pearson) two-sided interval for a proportion of k successes in n trials, at
// the given confidence (0.95: the 2.5 % and 97.5 % beta quantiles). n = 0 gives [0, 1].
Interval clopper_pearson(long k, long n, double confidence = 0.95);

// P[X >= k] for X ~ Binomial(n, p); 1 for k <= 0, 0 for k > n.
double binomial_upper_tail(long k, long n, double p);
// log2 P[X >= k] for X ~ Binomial(n, 1/2), exact in log space for any n (the tail of a 1024-bit
// pattern is far below the smallest double); 0 for k <= 0, -infinity for k > n.
double log2_binomial_upper_tail_half(long k, long n);

}  // namespace nullmark
