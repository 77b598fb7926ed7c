// Leaky ReLU on the GPU: one thread per element, the CPU formulas (exact parity).
#include "kernels/cuda/launch.cuh"
#include "kernels/leaky_relu.h"

namespace nullmark::cuda {

namespace {
__global__ void forward_kernel(size_t count, float slope, const float* x, float* y) {
  NM_GRID_LOOP(i, count) y[i] = x[i] > 0.0f ? x[i] : slope * x[i];
}
__global__ void backward_kernel(size_t count, float slope, const float* y, const float* dy, float* dx, bool acc) {
  NM_GRID_LOOP(i, count) dx[i] = (acc ? dx[i] : 0.0f) + (y[i] > 0.0f ? dy[i] : slope * dy[i]);
}
}  // namespace

void leaky_relu_forward(const Context& ctx, size_t count, float slope, const float* x, float* y) {
  forward_kernel<<<blocks_for(count), 256, 0, stream(ctx)>>>(count, slope, x, y);
  NM_AFTER_LAUNCH(ctx, "leaky_relu_forward");
}

void leaky_relu_backward(const Context& ctx, size_t count, float slope, const float* y, const float* dy, float* dx, GradMode mode) {
  backward_kernel<<<blocks_for(count), 256, 0, stream(ctx)>>>(count, slope, y, dy, dx, mode == GradMode::Accumulate);
  NM_AFTER_LAUNCH(ctx, "leaky_relu_backward");
}

}  // namespace nullmark::cuda
