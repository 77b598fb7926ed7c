// The fused watermark batch on the GPU: each element of the clean batch is read once and written as
// the clean copy and, for the first n_null / n_true images, the null- and true-stamped copies (the
// stamped value where the element is a pattern cell). Bandwidth-bound by design: one read, up to
// three writes, so the common case moves four elements per thread as float4 with 32-bit index
// arithmetic; a scalar kernel takes the rest. Plus the crop/flip augmentation, with the CPU's draws.
#include "kernels/augment.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/watermark_batch.h"
#include <climits>
#include <cstdint>

namespace nullmark::cuda {

namespace {
// The stamped value of element (row, col) of a channel, or `v` when it is not a pattern cell.
__device__ inline float stamped(const WatermarkPattern& p, int row, int col, bool invert, float v) {
  const int i = row - p.row, j = col - p.col;
  if (i < 0 || j < 0 || i >= p.n || j >= p.n) return v;
  return (p.bits[i * p.n + j] != 0) != invert ? p.lambda : -p.lambda;
}

__global__ void batch_kernel(ImageShape s, WatermarkPattern p, int b, int n_null, int n_true, const float* clean,
                             const int32_t* labels, float* out, int32_t* out_labels) {
  const size_t per = static_cast<size_t>(s.c) * s.h * s.w, count = per * b;
  float* null_out = out + per * b;
  float* true_out = null_out + per * n_null;
  NM_GRID_LOOP(e, count) {
    const int img = static_cast<int>(e / per);
    const int q = static_cast<int>(e % (static_cast<size_t>(s.h) * s.w)), row = q / s.w, col = q % s.w;
    const float v = clean[e];
    out[e] = v;
    if (img < n_null) null_out[e] = stamped(p, row, col, false, v);
    if (img < n_true) true_out[e] = stamped(p, row, col, true, v);
    if (e % per == 0) {  // the image's first element also writes its labels
      out_labels[img] = labels[img];
      if (img < n_null) out_labels[b + img] = labels[img];
      if (img < n_true) out_labels[b + n_null + img] = p.label;
    }
  }
}

// Four elements per thread. Needs an image size that is a multiple of four (a vector never spans two
// images), 16-byte aligned buffers and fewer than 2^31 vectors; watermark_batch checks.
__global__ void batch_kernel4(ImageShape s, WatermarkPattern p, int b, int n_null, int n_true, const float4* clean,
                              const int32_t* labels, float4* out, int32_t* out_labels) {
  const int per4 = s.c * s.h * s.w / 4, plane = s.h * s.w, count4 = per4 * b;
  float4* null_out = out + per4 * b;
  float4* true_out = null_out + per4 * n_null;
  for (int v = blockIdx.x * blockDim.x + threadIdx.x; v < count4; v += gridDim.x * blockDim.x) {
    const int img = v / per4, first = (v - img * per4) * 4;  // the vector's first element in its image
    const float4 x = clean[v];
    out[v] = x;
    if (img < n_null || img < n_true) {
      const float in[4] = {x.x, x.y, x.z, x.w};
      float nul[4], tru[4];
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int q = (first + j) % plane, row = q / s.w, col = q - row * s.w;
        nul[j] = stamped(p, row, col, false, in[j]);
        tru[j] = stamped(p, row, col, true, in[j]);
      }
      if (img < n_null) null_out[v] = make_float4(nul[0], nul[1], nul[2], nul[3]);
      if (img < n_true) true_out[v] = make_float4(tru[0], tru[1], tru[2], tru[3]);
    }
    if (first == 0) {
      out_labels[img] = labels[img];
      if (img < n_null) out_labels[b + img] = labels[img];
      if (img < n_true) out_labels[b + n_null + img] = p.label;
    }
  }
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

__global__ void stamp_kernel(ImageShape s, WatermarkPattern p, bool invert, int count, float* images) {
  const size_t cells = static_cast<size_t>(count) * s.c * p.n * p.n;
  NM_GRID_LOOP(e, cells) {
    const int j = static_cast<int>(e % p.n), i = static_cast<int>((e / p.n) % p.n);
    const size_t plane = e / (static_cast<size_t>(p.n) * p.n);  // (image, channel)
    images[(plane * s.h + p.row + i) * s.w + p.col + j] = (p.bits[i * p.n + j] != 0) != invert ? p.lambda : -p.lambda;
  }
}

__global__ void crop_flip_kernel(ImageShape s, int n, int pad, bool flip, uint64_t seed, uint64_t first_arg,
                                 const StepScalars* scalars, const float* in, float* out) {
  const uint64_t first = scalars ? scalars->first : first_arg;
  const size_t per = static_cast<size_t>(s.c) * s.h * s.w, count = per * n;
  NM_GRID_LOOP(e, count) {
    const int img = static_cast<int>(e / per);
    const size_t plane_start = e - e % (static_cast<size_t>(s.h) * s.w);
    const int q = static_cast<int>(e % (static_cast<size_t>(s.h) * s.w)), y = q / s.w, x = q % s.w;
    const CropFlip c = crop_flip_draw(seed, first + img, pad, flip);
    const int sy = y + c.dy, sx = (c.flip ? s.w - 1 - x : x) + c.dx;
    out[e] = (sy >= 0 && sy < s.h && sx >= 0 && sx < s.w) ? in[plane_start + sy * s.w + sx] : 0.0f;
  }
}
}  // namespace

void watermark_batch(const ImageShape& s, const WatermarkPattern& p, int b, int n_null, int n_true, const float* clean,
                     const int32_t* labels, float* out, int32_t* out_labels) {
  const size_t count = static_cast<size_t>(s.size()) * b;
  if (s.size() % 4 == 0 && aligned16(clean) && aligned16(out) && count / 4 < INT_MAX) {
    batch_kernel4<<<blocks_for(count / 4), 256, 0, stream()>>>(s, p, b, n_null, n_true,
                                                               reinterpret_cast<const float4*>(clean), labels,
                                                               reinterpret_cast<float4*>(out), out_labels);
  } else {
    batch_kernel<<<blocks_for(count), 256, 0, stream()>>>(s, p, b, n_null, n_true, clean, labels, out, out_labels);
  }
  NM_AFTER_LAUNCH("watermark_batch");
}

void watermark_stamp(const ImageShape& s, const WatermarkPattern& p, bool invert, int count, float* images) {
  const size_t cells = static_cast<size_t>(count) * s.c * p.n * p.n;
  stamp_kernel<<<blocks_for(cells), 256, 0, stream()>>>(s, p, invert, count, images);
  NM_AFTER_LAUNCH("watermark_stamp");
}

void augment_crop_flip(const ImageShape& s, int n, int pad, bool flip, uint64_t seed, uint64_t first, const float* in,
                       float* out) {
  const size_t count = static_cast<size_t>(s.size()) * n;
  crop_flip_kernel<<<blocks_for(count), 256, 0, stream()>>>(s, n, pad, flip, seed, first, step_scalars(), in, out);
  NM_AFTER_LAUNCH("augment_crop_flip");
}

}  // namespace nullmark::cuda
