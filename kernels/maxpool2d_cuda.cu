// Max pooling on the GPU: a thread per output (first maximum in scan order, as on the CPU), and for
// the backward pass a thread per input that gathers from the windows covering it, so overlapping
// windows need no atomics and the sum order is fixed.
#include "kernels/cuda/launch.cuh"
#include "kernels/maxpool2d.h"
#include <cstdint>

namespace nullmark::cuda {

namespace {
__global__ void pool_forward(MaxPool2dShape s, int oh, int ow, const float* x, float* y, int32_t* argmax) {
  const size_t count = static_cast<size_t>(s.n) * s.c * oh * ow;
  NM_GRID_LOOP(i, count) {
    const size_t plane = i / (oh * ow);
    const int p = static_cast<int>(i % (oh * ow)), oy = p / ow, ox = p % ow;
    const float* xp = x + plane * s.h * s.w;
    const int32_t best = window_argmax(s, xp, oy, ox);
    y[i] = xp[best];
    argmax[i] = best;
  }
}

__global__ void pool_backward(MaxPool2dShape s, int oh, int ow, const int32_t* argmax, const float* dy, float* dx,
                              bool accumulate) {
  const size_t count = static_cast<size_t>(s.n) * s.c * s.h * s.w;
  NM_GRID_LOOP(i, count) {
    const size_t plane = i / (s.h * s.w);
    const int q = static_cast<int>(i % (s.h * s.w)), iy = q / s.w, ix = q % s.w;
    // Outputs whose window holds (iy, ix): oy in [ceil((iy - k + 1) / stride), iy / stride].
    const int oy0 = max(0, (iy - s.k + s.stride) / s.stride), oy1 = min(oh - 1, iy / s.stride);
    const int ox0 = max(0, (ix - s.k + s.stride) / s.stride), ox1 = min(ow - 1, ix / s.stride);
    float g = 0.0f;
    for (int oy = oy0; oy <= oy1; ++oy)
      for (int ox = ox0; ox <= ox1; ++ox) {
        const size_t o = plane * oh * ow + oy * ow + ox;
        if (argmax[o] == q) g += dy[o];
      }
    dx[i] = (accumulate ? dx[i] : 0.0f) + g;
  }
}
}  // namespace

void maxpool2d_forward(const Context& ctx, const MaxPool2dShape& s, const float* x, float* y, int32_t* argmax) {
  const size_t count = static_cast<size_t>(s.n) * s.c * s.oh() * s.ow();
  pool_forward<<<blocks_for(count), 256, 0, stream(ctx)>>>(s, s.oh(), s.ow(), x, y, argmax);
  NM_AFTER_LAUNCH(ctx, "maxpool2d_forward");
}

void maxpool2d_backward(const Context& ctx, const MaxPool2dShape& s, const int32_t* argmax, const float* dy, float* dx, GradMode mode) {
  const size_t count = static_cast<size_t>(s.n) * s.c * s.h * s.w;
  pool_backward<<<blocks_for(count), 256, 0, stream(ctx)>>>(s, s.oh(), s.ow(), argmax, dy, dx,
                                                         mode == GradMode::Accumulate);
  NM_AFTER_LAUNCH(ctx, "maxpool2d_backward");
}

}  // namespace nullmark::cuda
