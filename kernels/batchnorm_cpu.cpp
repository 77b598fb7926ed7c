#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "kernels/batchnorm.h"

namespace nullmark::cpu {

namespace {
// Start of channel ch of sample i.
template <class T>
const T* plane_of(const BatchNormShape& s, const T* x, int i, int ch) {
  return x + (static_cast<size_t>(i) * s.c + ch) * s.plane;
}
template <class T>
T* plane_of(const BatchNormShape& s, T* x, int i, int ch) {
  return x + (static_cast<size_t>(i) * s.c + ch) * s.plane;
}

// Sums of one plane: vectorised in T (a plane is at most a few thousand values), then added to the
// channel's double total, so the order is fixed and the result independent of the thread count.
// Sums of (x - k) and (x - k)^2 over one plane in one pass: vectorised in T (a plane is at most a
// few thousand values), then added to the channel's double totals, so the order is fixed and the
// result independent of the thread count.
template <class T>
void plane_shifted_sums(const T* p, int len, T k, double& sum, double& squares) {
  T a = 0, b = 0;
#pragma omp simd reduction(+ : a, b)
  for (int i = 0; i < len; ++i) {
    const T d = p[i] - k;
    a += d;
    b += d * d;
  }
  sum += a;
  squares += b;
}
// Sums of dy and dy * (x - mean) over one plane in one pass; with a fused ReLU, dy counts only
// where the output y is positive.
template <class T>
void plane_gradient_sums(const T* g, const T* p, const T* y, int len, T mean, double& sum_dy, double& sum_dy_xc) {
  T a = 0, b = 0;
  if (y) {
#pragma omp simd reduction(+ : a, b)
    for (int k = 0; k < len; ++k) {
      const T gk = y[k] > T(0) ? g[k] : T(0);
      a += gk;
      b += gk * (p[k] - mean);
    }
  } else {
#pragma omp simd reduction(+ : a, b)
    for (int k = 0; k < len; ++k) {
      a += g[k];
      b += g[k] * (p[k] - mean);
    }
  }
  sum_dy += a;
  sum_dy_xc += b;
}

// q = a * p + b over one plane, and max(0, .) of it with a fused ReLU.
template <class T>
void plane_affine(const T* p, T* q, int len, T a, T b, bool relu) {
  if (relu) {
#pragma omp simd
    for (int k = 0; k < len; ++k) {
      const T v = a * p[k] + b;
      q[k] = v > T(0) ? v : T(0);
    }
  } else {
#pragma omp simd
    for (int k = 0; k < len; ++k) q[k] = a * p[k] + b;
  }
}

template <class T>
void write(T& out, double v, GradMode mode) {
  out = static_cast<T>((mode == GradMode::Accumulate ? static_cast<double>(out) : 0.0) + v);
}
}  // namespace

// Runs f(i, ch, offset of plane (i, ch)) for every plane, in parallel in memory order, so that each
// thread streams through whole images. (Channel by channel, every plane was a jump to a new page,
// where the hardware prefetcher stops; the passes ran at half the rate of a plain sum, measured.)
template <class F>
void for_each_plane(const BatchNormShape& s, F&& f) {
#pragma omp parallel for schedule(static)
  for (long ic = 0; ic < static_cast<long>(s.n) * s.c; ++ic)
    f(static_cast<int>(ic / s.c), static_cast<int>(ic % s.c), static_cast<size_t>(ic) * s.plane);
}

// A channel's total of per-plane partial sums part[(i * C + ch) * 2 + which] over its first `n`
// images, added in image order: the same order whatever the number of threads.
double channel_total(const BatchNormShape& s, const std::vector<double>& part, int ch, int which, int n) {
  double total = 0;
  for (int i = 0; i < n; ++i) total += part[(static_cast<size_t>(i) * s.c + ch) * 2 + which];
  return total;
}

template <class T>
void batchnorm_forward_train(const BatchNormShape& s, const T* x, const T* gamma, const T* beta, T* y, T* save_mean,
                             T* save_invstd, T* running_mean, T* running_var) {
  const int ns = s.stat_samples();
  const double m = static_cast<double>(ns) * s.plane;
  // One pass for both moments, about a shift k near the mean (the first sample's mean in the
  // channel): var = E[(x - k)^2] - (E[x - k])^2 cancels only as far as k is from the mean, in units
  // of the spread, so it stays as accurate as the two-pass centred sum while reading x once less.
  std::vector<T> k(s.c);
  for (int ch = 0; ch < s.c; ++ch) {
    double first = 0, unused = 0;
    plane_shifted_sums(plane_of(s, x, 0, ch), s.plane, T(0), first, unused);
    k[ch] = static_cast<T>(first / s.plane);
  }
  std::vector<double> part(static_cast<size_t>(s.n) * s.c * 2);
  for_each_plane(s, [&](int i, int ch, size_t at) {
    if (i < ns)
      plane_shifted_sums(x + at, s.plane, k[ch], part[(static_cast<size_t>(i) * s.c + ch) * 2],
                         part[(static_cast<size_t>(i) * s.c + ch) * 2 + 1]);
  });
  std::vector<T> a(s.c), b(s.c);
  for (int ch = 0; ch < s.c; ++ch) {
    const double sum = channel_total(s, part, ch, 0, ns), squares = channel_total(s, part, ch, 1, ns);
    const double shift = sum / m, mean = k[ch] + shift;
    const double sq = std::max(squares - sum * shift, 0.0);  // the centred sum of squares
    const double var = sq / m;
    const double invstd = 1.0 / std::sqrt(var + s.eps);
    save_mean[ch] = static_cast<T>(mean);
    save_invstd[ch] = static_cast<T>(invstd);
    const double unbiased = m > 1 ? sq / (m - 1) : var;
    running_mean[ch] = static_cast<T>((1 - s.momentum) * running_mean[ch] + s.momentum * mean);
    running_var[ch] = static_cast<T>((1 - s.momentum) * running_var[ch] + s.momentum * unbiased);
    a[ch] = static_cast<T>(gamma[ch] * invstd), b[ch] = static_cast<T>(beta[ch] - gamma[ch] * invstd * mean);
  }
  for_each_plane(s, [&](int, int ch, size_t at) { plane_affine(x + at, y + at, s.plane, a[ch], b[ch], s.relu); });
}

template <class T>
void batchnorm_forward_eval(const BatchNormShape& s, const T* x, const T* gamma, const T* beta,
                            const T* running_mean, const T* running_var, T* y) {
#pragma omp parallel for schedule(static)
  for (long ic = 0; ic < static_cast<long>(s.n) * s.c; ++ic) {
    const int ch = static_cast<int>(ic % s.c);
    const double invstd = 1.0 / std::sqrt(static_cast<double>(running_var[ch]) + s.eps);
    const T a = static_cast<T>(gamma[ch] * invstd), b = static_cast<T>(beta[ch] - gamma[ch] * invstd * running_mean[ch]);
    plane_affine(x + static_cast<size_t>(ic) * s.plane, y + static_cast<size_t>(ic) * s.plane, s.plane, a, b, s.relu);
  }
}

template <class T>
void batchnorm_backward_train(const BatchNormShape& s, const T* x, const T* gamma, const T* save_mean,
                              const T* save_invstd, const T* y, const T* dy, T* dx, T* dgamma, T* dbeta,
                              GradMode mode) {
  // The statistics came from the first ns samples: the gradient through them reaches those alone,
  // while the sums of dy run over every sample they normalised.
  const int ns = s.stat_samples();
  const double m = static_cast<double>(ns) * s.plane;
  std::vector<double> part(static_cast<size_t>(s.n) * s.c * 2);
  for_each_plane(s, [&](int i, int ch, size_t at) {
    plane_gradient_sums(dy + at, x + at, s.relu ? y + at : nullptr, s.plane, save_mean[ch],
                        part[(static_cast<size_t>(i) * s.c + ch) * 2], part[(static_cast<size_t>(i) * s.c + ch) * 2 + 1]);
  });
  // dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)), per channel a * dy + b * x + c.
  std::vector<T> a(s.c), b(s.c), c(s.c);
  for (int ch = 0; ch < s.c; ++ch) {
    const double mean = save_mean[ch], invstd = save_invstd[ch];
    const double sum_dy = channel_total(s, part, ch, 0, s.n), sum_dy_xhat = channel_total(s, part, ch, 1, s.n) * invstd;
    if (dbeta) write(dbeta[ch], sum_dy, mode);
    if (dgamma) write(dgamma[ch], sum_dy_xhat, mode);
    const double scale = gamma[ch] * invstd, mdy = sum_dy / m, mdyx = sum_dy_xhat / m;
    a[ch] = static_cast<T>(scale), b[ch] = static_cast<T>(-scale * invstd * mdyx),
    c[ch] = static_cast<T>(scale * (mean * invstd * mdyx - mdy));
  }
  if (!dx) return;
  const bool acc = mode == GradMode::Accumulate;
  for_each_plane(s, [&](int i, int ch, size_t at) {
    const bool in_stats = i < ns;
    const T *p = x + at, *g = dy + at, ac = a[ch], bc = in_stats ? b[ch] : T(0), cc = in_stats ? c[ch] : T(0);
    T* d = dx + at;
    if (s.relu) {
      const T* q = y + at;
#pragma omp simd
      for (int k = 0; k < s.plane; ++k) d[k] = (acc ? d[k] : T(0)) + ac * (q[k] > T(0) ? g[k] : T(0)) + bc * p[k] + cc;
    } else {
#pragma omp simd
      for (int k = 0; k < s.plane; ++k) d[k] = (acc ? d[k] : T(0)) + ac * g[k] + bc * p[k] + cc;
    }
  });
}

template <class T>
void batchnorm_backward_eval(const BatchNormShape& s, const T* x, const T* gamma, const T* running_mean,
                             const T* running_var, const T* y, const T* dy, T* dx, T* dgamma, T* dbeta,
                             GradMode mode) {
#pragma omp parallel for schedule(static)
  for (int ch = 0; ch < s.c; ++ch) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(running_var[ch]) + s.eps);
    const T scale = static_cast<T>(gamma[ch] * invstd);
    const bool acc = mode == GradMode::Accumulate;
    double sum_dy = 0, sum_dy_xc = 0;
    for (int i = 0; i < s.n; ++i) {
      const T* g = plane_of(s, dy, i, ch);
      const T* q = s.relu ? plane_of(s, y, i, ch) : nullptr;
      plane_gradient_sums(g, plane_of(s, x, i, ch), q, s.plane, running_mean[ch], sum_dy, sum_dy_xc);
      if (!dx) continue;
      T* d = plane_of(s, dx, i, ch);
      if (q) {
#pragma omp simd
        for (int k = 0; k < s.plane; ++k) d[k] = (acc ? d[k] : T(0)) + scale * (q[k] > T(0) ? g[k] : T(0));
      } else {
#pragma omp simd
        for (int k = 0; k < s.plane; ++k) d[k] = (acc ? d[k] : T(0)) + scale * g[k];
      }
    }
    const double sum_dy_xhat = sum_dy_xc * invstd;
    if (dbeta) write(dbeta[ch], sum_dy, mode);
    if (dgamma) write(dgamma[ch], sum_dy_xhat, mode);
  }
}

#define NULLMARK_BATCHNORM(T)                                                                                        \
  template void batchnorm_forward_train<T>(const BatchNormShape&, const T*, const T*, const T*, T*, T*, T*, T*, T*); \
  template void batchnorm_forward_eval<T>(const BatchNormShape&, const T*, const T*, const T*, const T*, const T*,   \
                                          T*);                                                                       \
  template void batchnorm_backward_train<T>(const BatchNormShape&, const T*, const T*, const T*, const T*, const T*, \
                                            const T*, T*, T*, T*, GradMode);                                         \
  template void batchnorm_backward_eval<T>(const BatchNormShape&, const T*, const T*, const T*, const T*, const T*,  \
                                           const T*, T*, T*, T*, GradMode);
NULLMARK_BATCHNORM(float)
NULLMARK_BATCHNORM(double)
#undef NULLMARK_BATCHNORM

}  // namespace nullmark::cpu
