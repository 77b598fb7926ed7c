// One thread per batch value, grid-stride; a row of the data set is contiguous, so a warp reads
// consecutive floats of one row (or two), and the first n threads copy the labels.
#include "kernels/cuda/launch.cuh"
#include "kernels/gather.h"

namespace nullmark::cuda {

namespace {
__global__ void gather_rows_kernel(int n, size_t per, const uint32_t* rows, const float* images,
                                   const int32_t* labels, float* x, int32_t* y) {
  const size_t total = static_cast<size_t>(n) * per;
  NM_GRID_LOOP(i, total) {
    const size_t r = i / per, k = i - r * per;
    x[i] = images[static_cast<size_t>(rows[r]) * per + k];
    if (k == 0) y[r] = labels[rows[r]];
  }
}
}  // namespace

void gather_rows(const Context& ctx, int n, size_t per, const uint32_t* rows, const float* images,
                 const int32_t* labels, float* x, int32_t* y) {
  if (n <= 0) return;
  const size_t total = static_cast<size_t>(n) * per;
  gather_rows_kernel<<<blocks_for(total), 256, 0, stream(ctx)>>>(n, per, rows, images, labels, x, y);
  NM_AFTER_LAUNCH(ctx, "gather_rows");
}

}  // namespace nullmark::cuda
