// Fused softmax + cross-entropy + gradient on the GPU: a thread per sample runs xent_sample, the
// function the CPU loop runs (in double), writing its loss and hit;
// a single block then adds the batch's losses and hits in a fixed order into the device totals.
#include <cstdint>
#include <memory>

#include "kernels/cuda/launch.cuh"
#include "kernels/softmax_xent.h"

namespace nullmark::cuda {

namespace {
__global__ void per_sample(int n, int k, const float* logits, const int32_t* labels, const float* weights, float scale,
                           float* dlogits, int32_t* predictions, float smoothing, double* loss, int* hit) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  int32_t arg = 0;
  loss[i] = xent_sample(k, logits + static_cast<size_t>(i) * k, labels[i], weights ? weights[i] : 1.0, scale, smoothing,
                        dlogits ? dlogits + static_cast<size_t>(i) * k : nullptr, &arg);
  hit[i] = arg == labels[i];
  if (predictions) predictions[i] = arg;
}

__global__ void add_totals(int n, int scored, const double* loss, const int* hit, double* totals) {
  __shared__ double l[256];
  __shared__ double h[256];
  double a = 0, b = 0;
  for (int i = threadIdx.x; i < n; i += 256) a += loss[i], b += i < scored ? hit[i] : 0;
  l[threadIdx.x] = a;
  h[threadIdx.x] = b;
  __syncthreads();
  for (int w = 128; w > 0; w /= 2) {
    if (threadIdx.x < w) l[threadIdx.x] += l[threadIdx.x + w], h[threadIdx.x] += h[threadIdx.x + w];
    __syncthreads();
  }
  if (threadIdx.x == 0) totals[0] += l[0], totals[1] += h[0];
}

// Per-sample scratch, grown as needed (allocation happens at the first steps, never in steady state).
struct Scratch {
  double* loss = nullptr;
  int* hit = nullptr;
  int capacity = 0;
  void ensure(int n) {
    if (n <= capacity) return;
    free_bytes(loss);
    free_bytes(hit);
    loss = static_cast<double*>(alloc_bytes(sizeof(double) * n));
    hit = static_cast<int*>(alloc_bytes(sizeof(int) * n));
    capacity = n;
  }
  ~Scratch() {
    free_bytes(loss);
    free_bytes(hit);
  }
};
}  // namespace

void softmax_xent(const Context& ctx, int n, int k, const float* logits, const int32_t* labels, const float* weights, float scale,
                  float* dlogits, int32_t* predictions, float smoothing, double* totals, int scored) {
  auto& slot = ctx.caches().xent_scratch;  // the context's, so concurrent contexts never share it
  if (!slot) slot = std::make_shared<Scratch>();
  Scratch& scratch = *static_cast<Scratch*>(slot.get());
  scratch.ensure(n);
  per_sample<<<(n + 127) / 128, 128, 0, stream(ctx)>>>(n, k, logits, labels, weights, scale, dlogits, predictions,
                                                    smoothing, scratch.loss, scratch.hit);
  NM_AFTER_LAUNCH(ctx, "softmax_xent");
  if (totals) {
    add_totals<<<1, 256, 0, stream(ctx)>>>(n, scored, scratch.loss, scratch.hit, totals);
    NM_AFTER_LAUNCH(ctx, "softmax_xent totals");
  }
}

}  // namespace nullmark::cuda
