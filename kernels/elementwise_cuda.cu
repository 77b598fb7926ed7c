// CUDA twins of the elementwise kernels: bias, ReLU, flatten, dropout, residual sums, global average
// pooling, optimizers. One thread per element in grid-stride loops; reductions (bias gradient,
// pooling) give each output to one thread or block and sum in a fixed order.
#include <cmath>
#include <cstdint>

#include "kernels/bias.h"
#include "kernels/counter_hash.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/dropout.h"
#include "kernels/elementwise.h"
#include "kernels/flatten.h"
#include "kernels/global_avgpool.h"
#include "kernels/optimizers.h"
#include "kernels/relu.h"

namespace nullmark::cuda {

namespace {
__device__ inline void put(float& out, float v, bool acc) { out = acc ? out + v : v; }

__global__ void bias_add_kernel(size_t count, int c, int p, const float* b, float* y) {
  NM_GRID_LOOP(i, count) y[i] += b[(i / p) % c];
}
// One block per channel: threads stride over (sample, position), then a shared-memory tree.
__global__ void bias_grad_kernel(int n, int c, int p, const float* dy, float* db, bool acc) {
  __shared__ float part[256];
  const int ch = blockIdx.x;
  float s = 0.0f;
  for (long i = threadIdx.x; i < static_cast<long>(n) * p; i += blockDim.x)
    s += dy[(static_cast<size_t>(i / p) * c + ch) * p + i % p];
  part[threadIdx.x] = s;
  __syncthreads();
  for (int w = blockDim.x / 2; w > 0; w /= 2) {
    if (threadIdx.x < w) part[threadIdx.x] += part[threadIdx.x + w];
    __syncthreads();
  }
  if (threadIdx.x == 0) put(db[ch], part[0], acc);
}
__global__ void relu_kernel(size_t count, const float* x, float* y) { NM_GRID_LOOP(i, count) y[i] = fmaxf(x[i], 0.0f); }
__global__ void relu_grad_kernel(size_t count, const float* y, const float* dy, float* dx, bool acc) {
  NM_GRID_LOOP(i, count) put(dx[i], y[i] > 0.0f ? dy[i] : 0.0f, acc);
}
__global__ void copy_kernel(size_t count, const float* x, float* y, bool acc) { NM_GRID_LOOP(i, count) put(y[i], x[i], acc); }
__global__ void add_kernel(size_t count, const float* a, const float* b, float* y, bool relu) {
  NM_GRID_LOOP(i, count) y[i] = relu ? fmaxf(a[i] + b[i], 0.0f) : a[i] + b[i];
}
__global__ void dropout_kernel(size_t count, float p, uint64_t seed, uint64_t step_arg, const StepScalars* scalars,
                               const float* x, float* y, bool acc) {
  const uint64_t step = scalars ? scalars->step : step_arg;
  const float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
  NM_GRID_LOOP(i, count) put(y[i], dropout_keep(seed, step, i, p) ? x[i] * scale : 0.0f, acc);
}
__global__ void zero_entries_kernel(size_t count, const uint64_t* index, float* p) {
  NM_GRID_LOOP(i, count) p[index[i]] = 0.0f;
}
__global__ void gap_kernel(size_t planes, int plane, const float* x, float* y) {
  NM_GRID_LOOP(i, planes) {
    const float* p = x + i * plane;
    float s = 0.0f;
    for (int k = 0; k < plane; ++k) s += p[k];
    y[i] = s / plane;
  }
}
__global__ void gap_grad_kernel(size_t count, int plane, const float* dy, float* dx, bool acc) {
  NM_GRID_LOOP(i, count) put(dx[i], dy[i / plane] / plane, acc);
}
__global__ void sgd_kernel(size_t count, SgdParams h, const StepScalars* scalars, float* p, const float* g, float* v) {
  if (scalars) h.lr = scalars->lr;
  NM_GRID_LOOP(i, count) sgd_update(h, p[i], g[i], v[i]);
}
// The arithmetic is kernels/optimizers.h's, the CPU's; bias corrections are computed on the host alike.
__global__ void adam_kernel(size_t count, AdamParams h, float step_size, float inv_sqrt_bc2, const StepScalars* scalars,
                            float* p, const float* g, float* m, float* v) {
  if (scalars) h.lr = scalars->lr, step_size = scalars->step_size, inv_sqrt_bc2 = scalars->inv_sqrt_bc2;
  NM_GRID_LOOP(i, count) adam_update(h, step_size, inv_sqrt_bc2, p[i], g[i], m[i], v[i]);
}
}  // namespace

void bias_add_forward(const Context& ctx, int n, int c, int p, const float* b, float* y) {
  const size_t count = static_cast<size_t>(n) * c * p;
  bias_add_kernel<<<blocks_for(count), 256, 0, stream(ctx)>>>(count, c, p, b, y);
  NM_AFTER_LAUNCH(ctx, "bias_add_forward");
}
void bias_backward(const Context& ctx, int n, int c, int p, const float* dy, float* db, GradMode mode) {
  bias_grad_kernel<<<c, 256, 0, stream(ctx)>>>(n, c, p, dy, db, mode == GradMode::Accumulate);
  NM_AFTER_LAUNCH(ctx, "bias_backward");
}
void relu_forward(const Context& ctx, size_t count, const float* x, float* y) {
  relu_kernel<<<blocks_for(count), 256, 0, stream(ctx)>>>(count, x, y);
  NM_AFTER_LAUNCH(ctx, "relu_forward");
}
void relu_backward(const Context& ctx, size_t count, const float* y, const float* dy, float* dx, GradMode mode) {
  relu_grad_kernel<<<blocks_for(count), 256, 0, stream(ctx)>>>(count, y, dy, dx, mode == GradMode::Accumulate);
  NM_AFTER_LAUNCH(ctx, "relu_backward");
}
void flatten_forward(const Context& ctx, size_t count, const float* x, float* y) {
  copy_kernel<<<blocks_for(count), 256, 0, stream(ctx)>>>(count, x, y, false);
  NM_AFTER_LAUNCH(ctx, "flatten_forward");
}
void flatten_backward(const Context& ctx, size_t count, const float* dy, float* dx, GradMode mode) {
  copy_kernel<<<blocks_for(count), 256, 0, stream(ctx)>>>(count, dy, dx, mode == GradMode::Accumulate);
  NM_AFTER_LAUNCH(ctx, "flatten_backward");
}
void add(const Context& ctx, size_t count, const float* a, const float* b, float* y, bool relu) {
  add_kernel<<<blocks_for(count), 256, 0, stream(ctx)>>>(count, a, b, y, relu);
  NM_AFTER_LAUNCH(ctx, "add");
}
void accumulate(const Context& ctx, size_t count, const float* x, float* y) {
  copy_kernel<<<blocks_for(count), 256, 0, stream(ctx)>>>(count, x, y, true);
  NM_AFTER_LAUNCH(ctx, "accumulate");
}
void dropout_forward(const Context& ctx, size_t count, float p, uint64_t seed, uint64_t step, const float* x, float* y) {
  dropout_kernel<<<blocks_for(count), 256, 0, stream(ctx)>>>(count, p, seed, step, ctx.step_scalars(), x, y, false);
  NM_AFTER_LAUNCH(ctx, "dropout_forward");
}
void dropout_backward(const Context& ctx, size_t count, float p, uint64_t seed, uint64_t step, const float* dy, float* dx, GradMode mode) {
  dropout_kernel<<<blocks_for(count), 256, 0, stream(ctx)>>>(count, p, seed, step, ctx.step_scalars(), dy, dx,
                                                          mode == GradMode::Accumulate);
  NM_AFTER_LAUNCH(ctx, "dropout_backward");
}
void global_avgpool_forward(const Context& ctx, int n, int c, int plane, const float* x, float* y) {
  const size_t planes = static_cast<size_t>(n) * c;
  gap_kernel<<<blocks_for(planes), 256, 0, stream(ctx)>>>(planes, plane, x, y);
  NM_AFTER_LAUNCH(ctx, "global_avgpool_forward");
}
void global_avgpool_backward(const Context& ctx, int n, int c, int plane, const float* dy, float* dx, GradMode mode) {
  const size_t count = static_cast<size_t>(n) * c * plane;
  gap_grad_kernel<<<blocks_for(count), 256, 0, stream(ctx)>>>(count, plane, dy, dx, mode == GradMode::Accumulate);
  NM_AFTER_LAUNCH(ctx, "global_avgpool_backward");
}
void sgd_step(const Context& ctx, size_t count, const SgdParams& h, float* params, const float* grads, float* velocity) {
  sgd_kernel<<<blocks_for(count), 256, 0, stream(ctx)>>>(count, h, ctx.step_scalars(), params, grads, velocity);
  NM_AFTER_LAUNCH(ctx, "sgd_step");
}
void adam_step(const Context& ctx, size_t count, const AdamParams& h, long step, float* params, const float* grads, float* m, float* v) {
  const float bc1 = 1.0f - static_cast<float>(std::pow(h.beta1, step));
  const float bc2 = 1.0f - static_cast<float>(std::pow(h.beta2, step));
  adam_kernel<<<blocks_for(count), 256, 0, stream(ctx)>>>(count, h, h.lr / bc1, 1.0f / std::sqrt(bc2), ctx.step_scalars(),
                                                       params, grads, m, v);
  NM_AFTER_LAUNCH(ctx, "adam_step");
}
void zero_entries(const Context& ctx, size_t count, const uint64_t* index, float* params) {
  if (count == 0) return;
  zero_entries_kernel<<<blocks_for(count), 256, 0, stream(ctx)>>>(count, index, params);
  NM_AFTER_LAUNCH(ctx, "zero_entries");
}

}  // namespace nullmark::cuda
