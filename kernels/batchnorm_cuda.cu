// Batch normalisation on the GPU: one block per channel. Each thread sums a fixed strided subset of
// the channel's values, then a shared-memory tree combines them in a fixed order (double partials),
// so the statistics are deterministic. The formulas are those of batchnorm_cpu.cpp.
#include "kernels/batchnorm.h"
#include "kernels/cuda/launch.cuh"

namespace nullmark::cuda {

namespace {
constexpr int kThreads = 256;

// Block-wide sum of one double per thread; every thread gets the total.
__device__ double block_sum(double v, double* scratch) {
  scratch[threadIdx.x] = v;
  __syncthreads();
  for (int w = kThreads / 2; w > 0; w /= 2) {
    if (threadIdx.x < w) scratch[threadIdx.x] += scratch[threadIdx.x + w];
    __syncthreads();
  }
  const double total = scratch[0];
  __syncthreads();
  return total;
}

__device__ inline size_t at(const BatchNormShape& s, int ch, long j) {  // j-th value of channel ch
  return (static_cast<size_t>(j / s.plane) * s.c + ch) * s.plane + j % s.plane;
}

__global__ void __launch_bounds__(kThreads) forward_train(BatchNormShape s, const float* x, const float* gamma,
                                                          const float* beta, float* y, float* save_mean,
                                                          float* save_invstd, float* running_mean, float* running_var) {
  __shared__ double scratch[kThreads];
  const int ch = blockIdx.x;
  // Statistics over the first stat_samples() samples (channel values j < ms), applied to all.
  const long m = static_cast<long>(s.n) * s.plane, ms = static_cast<long>(s.stat_samples()) * s.plane;
  double sum = 0;
  for (long j = threadIdx.x; j < ms; j += kThreads) sum += x[at(s, ch, j)];
  const double mean = block_sum(sum, scratch) / ms;
  double sq = 0;
  for (long j = threadIdx.x; j < ms; j += kThreads) {
    const double d = x[at(s, ch, j)] - mean;
    sq += d * d;
  }
  const double centred = block_sum(sq, scratch);
  const double var = centred / ms, invstd = 1.0 / sqrt(var + s.eps);
  if (threadIdx.x == 0) {
    save_mean[ch] = static_cast<float>(mean);
    save_invstd[ch] = static_cast<float>(invstd);
    const double unbiased = ms > 1 ? centred / (ms - 1) : var;
    running_mean[ch] = static_cast<float>((1 - s.momentum) * running_mean[ch] + s.momentum * mean);
    running_var[ch] = static_cast<float>((1 - s.momentum) * running_var[ch] + s.momentum * unbiased);
  }
  const float a = static_cast<float>(gamma[ch] * invstd), b = static_cast<float>(beta[ch] - gamma[ch] * invstd * mean);
  for (long j = threadIdx.x; j < m; j += kThreads) {
    const float v = a * x[at(s, ch, j)] + b;
    y[at(s, ch, j)] = s.relu ? fmaxf(v, 0.0f) : v;
  }
}

__global__ void forward_eval(BatchNormShape s, const float* x, const float* gamma, const float* beta,
                             const float* running_mean, const float* running_var, float* y) {
  const size_t count = static_cast<size_t>(s.n) * s.c * s.plane;
  NM_GRID_LOOP(i, count) {
    const int ch = static_cast<int>((i / s.plane) % s.c);
    const double invstd = 1.0 / sqrt(static_cast<double>(running_var[ch]) + s.eps);
    const float a = static_cast<float>(gamma[ch] * invstd),
                b = static_cast<float>(beta[ch] - gamma[ch] * invstd * running_mean[ch]);
    const float v = a * x[i] + b;
    y[i] = s.relu ? fmaxf(v, 0.0f) : v;
  }
}

// Training (batch statistics, `train` true) or evaluation (running statistics) gradients. With a
// fused ReLU, dy counts only where the output y is positive.
__global__ void __launch_bounds__(kThreads) backward(BatchNormShape s, bool train, const float* x, const float* gamma,
                                                     const float* mean_in, const float* stat_in, const float* y,
                                                     const float* dy, float* dx, float* dgamma, float* dbeta,
                                                     bool accumulate) {
  __shared__ double scratch[kThreads];
  const int ch = blockIdx.x;
  const long m = static_cast<long>(s.n) * s.plane;
  const double mean = mean_in[ch];
  // stat_in: saved 1/std in training, the running variance in evaluation.
  const double invstd = train ? stat_in[ch] : 1.0 / sqrt(static_cast<double>(stat_in[ch]) + s.eps);
  double a = 0, b = 0;
  for (long j = threadIdx.x; j < m; j += kThreads) {
    const size_t i = at(s, ch, j);
    const float g = s.relu && !(y[i] > 0.0f) ? 0.0f : dy[i];
    a += g;
    b += g * (x[i] - mean);
  }
  const double sum_dy = block_sum(a, scratch), sum_dy_xhat = block_sum(b, scratch) * invstd;
  if (threadIdx.x == 0) {
    if (dbeta) dbeta[ch] = static_cast<float>((accumulate ? dbeta[ch] : 0.0) + sum_dy);
    if (dgamma) dgamma[ch] = static_cast<float>((accumulate ? dgamma[ch] : 0.0) + sum_dy_xhat);
  }
  if (!dx) return;
  const double scale = gamma[ch] * invstd;
  float ca = static_cast<float>(scale), cb = 0.0f, cc = 0.0f;
  // Training: the statistics came from the values j < ms, which alone get the terms through them.
  const long ms = train ? static_cast<long>(s.stat_samples()) * s.plane : m;
  if (train) {
    const double mdy = sum_dy / ms, mdyx = sum_dy_xhat / ms;
    cb = static_cast<float>(-scale * invstd * mdyx);
    cc = static_cast<float>(scale * (mean * invstd * mdyx - mdy));
  }
  for (long j = threadIdx.x; j < m; j += kThreads) {
    const size_t i = at(s, ch, j);
    const float g = s.relu && !(y[i] > 0.0f) ? 0.0f : dy[i];
    dx[i] = (accumulate ? dx[i] : 0.0f) + ca * g + (j < ms ? cb * x[i] + cc : 0.0f);
  }
}
}  // namespace

void batchnorm_forward_train(const Context& ctx, const BatchNormShape& s, const float* x, const float* gamma, const float* beta, float* y,
                             float* save_mean, float* save_invstd, float* running_mean, float* running_var) {
  forward_train<<<s.c, kThreads, 0, stream(ctx)>>>(s, x, gamma, beta, y, save_mean, save_invstd, running_mean,
                                                running_var);
  NM_AFTER_LAUNCH(ctx, "batchnorm_forward_train");
}
void batchnorm_forward_eval(const Context& ctx, const BatchNormShape& s, const float* x, const float* gamma, const float* beta,
                            const float* running_mean, const float* running_var, float* y) {
  const size_t count = static_cast<size_t>(s.n) * s.c * s.plane;
  forward_eval<<<blocks_for(count), 256, 0, stream(ctx)>>>(s, x, gamma, beta, running_mean, running_var, y);
  NM_AFTER_LAUNCH(ctx, "batchnorm_forward_eval");
}
void batchnorm_backward_train(const Context& ctx, const BatchNormShape& s, const float* x, const float* gamma, const float* save_mean,
                              const float* save_invstd, const float* y, const float* dy, float* dx, float* dgamma,
                              float* dbeta, GradMode mode) {
  backward<<<s.c, kThreads, 0, stream(ctx)>>>(s, true, x, gamma, save_mean, save_invstd, y, dy, dx, dgamma, dbeta,
                                           mode == GradMode::Accumulate);
  NM_AFTER_LAUNCH(ctx, "batchnorm_backward_train");
}
void batchnorm_backward_eval(const Context& ctx, const BatchNormShape& s, const float* x, const float* gamma, const float* running_mean,
                             const float* running_var, const float* y, const float* dy, float* dx, float* dgamma,
                             float* dbeta, GradMode mode) {
  backward<<<s.c, kThreads, 0, stream(ctx)>>>(s, false, x, gamma, running_mean, running_var, y, dy, dx, dgamma, dbeta,
                                           mode == GradMode::Accumulate);
  NM_AFTER_LAUNCH(ctx, "batchnorm_backward_eval");
}

}  // namespace nullmark::cuda
