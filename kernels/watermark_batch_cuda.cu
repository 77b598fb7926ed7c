// The fused watermark batch on the GPU: each element of the clean batch is read once and written as
// the clean copy and, for the first n_null / n_true images, the null- and true-stamped copies (the
// stamped value where the element is a pattern cell). Bandwidth-bound by design: one read, up to
// three writes, so the common case (image width a multiple of four) moves four elements per thread
// as float4 with the index arithmetic of kernels/cuda/watermark_vec4.h; a scalar kernel takes the
// rest. Plus the crop/flip augmentation, with the CPU's draws.
#include <climits>
#include <cstdint>

#include "kernels/augment.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/vector_pairs.cuh"
#include "kernels/cuda/watermark_vec4.h"
#include "kernels/watermark_batch.h"

namespace nullmark::cuda {

namespace {
__global__ void batch_kernel(ImageShape s, WatermarkPattern p, int b, int n_null, int n_true, const float* clean,
                             const int32_t* labels, float* out, int32_t* out_labels) {
  const size_t per = static_cast<size_t>(s.c) * s.h * s.w, count = per * b;
  float* null_out = out + per * b;
  float* true_out = null_out + per * n_null;
  NM_GRID_LOOP(e, count) {
    const int img = static_cast<int>(e / per);
    const size_t plane = static_cast<size_t>(s.h) * s.w;
    const int q = static_cast<int>(e % plane), row = q / s.w, col = q % s.w;
    const int ch = static_cast<int>((e / plane) % s.c);
    const float v = clean[e];
    out[e] = v;
    if (img < n_null) null_out[e] = stamped(p, ch, row, col, false, v);
    if (img < n_true) true_out[e] = stamped(p, ch, row, col, true, v);
    if (e % per == 0) write_labels(p, img, b, n_null, n_true, labels, out_labels);
  }
}

// The three copies of vector v (see kernels/cuda/watermark_vec4.h).
struct Vec4Batch {
  Vec4Layout layout;
  WatermarkPattern p;
  int b, n_null, n_true;
  const int32_t* labels;
  float4 *out, *null_out, *true_out;
  int32_t* out_labels;
  __device__ void write(int v, float4 x) const {
    out[v] = x;
    const Vec4Layout::Where at = layout.at(v);
    if (at.img < n_null || at.img < n_true) {
      const float in[4] = {x.x, x.y, x.z, x.w};
      float a[4], t[4];
      stamp_vector(p, at, in, a, t);
      if (at.img < n_null) null_out[v] = make_float4(a[0], a[1], a[2], a[3]);
      if (at.img < n_true) true_out[v] = make_float4(t[0], t[1], t[2], t[3]);
    }
    if (at.first) write_labels(p, at.img, b, n_null, n_true, labels, out_labels);
  }
};

// Four elements per thread, two vectors per loop iteration (kernels/cuda/vector_pairs.cuh). Needs an
// image width that is a multiple of four, 16-byte aligned buffers and fewer than 2^31 vectors;
// watermark_batch checks.
__global__ void batch_kernel4(Vec4Batch k, int count4, const float4* clean) {
  for_vector_pairs(count4, clean, [&](int v, float4 x) { k.write(v, x); });
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

__global__ void stamp_kernel(ImageShape s, WatermarkPattern p, bool invert, int count, float* images) {
  const size_t cells = static_cast<size_t>(count) * s.c * p.n * p.n;
  NM_GRID_LOOP(e, cells) {
    const int j = static_cast<int>(e % p.n), i = static_cast<int>((e / p.n) % p.n);
    const size_t plane = e / (static_cast<size_t>(p.n) * p.n);  // (image, channel)
    images[(plane * s.h + p.row + i) * s.w + p.col + j] =
        p.value((p.bits[i * p.n + j] != 0) != invert, static_cast<int>(plane % s.c));
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

void watermark_batch(const Context& ctx, const ImageShape& s, const WatermarkPattern& p, int b, int n_null, int n_true, const float* clean,
                     const int32_t* labels, float* out, int32_t* out_labels) {
  const size_t count = static_cast<size_t>(s.size()) * b;
  if (Vec4Layout::applies(s) && aligned16(clean) && aligned16(out) && count / 4 < INT_MAX) {
    const size_t per4 = s.size() / 4;
    float4* out4 = reinterpret_cast<float4*>(out);
    const Vec4Batch k{Vec4Layout(s), p, b, n_null, n_true, labels, out4, out4 + per4 * b, out4 + per4 * (b + n_null),
                      out_labels};
    batch_kernel4<<<blocks_for((count / 4 + 1) / 2), 256, 0, stream(ctx)>>>(k, static_cast<int>(count / 4),
                                                                         reinterpret_cast<const float4*>(clean));
  } else {
    batch_kernel<<<blocks_for(count), 256, 0, stream(ctx)>>>(s, p, b, n_null, n_true, clean, labels, out, out_labels);
  }
  NM_AFTER_LAUNCH(ctx, "watermark_batch");
}

void watermark_stamp(const Context& ctx, const ImageShape& s, const WatermarkPattern& p, bool invert, int count, float* images) {
  const size_t cells = static_cast<size_t>(count) * s.c * p.n * p.n;
  stamp_kernel<<<blocks_for(cells), 256, 0, stream(ctx)>>>(s, p, invert, count, images);
  NM_AFTER_LAUNCH(ctx, "watermark_stamp");
}

void augment_crop_flip(const Context& ctx, const ImageShape& s, int n, int pad, bool flip, uint64_t seed, uint64_t first, const float* in,
                       float* out) {
  const size_t count = static_cast<size_t>(s.size()) * n;
  crop_flip_kernel<<<blocks_for(count), 256, 0, stream(ctx)>>>(s, n, pad, flip, seed, first, ctx.step_scalars(), in, out);
  NM_AFTER_LAUNCH(ctx, "augment_crop_flip");
}

}  // namespace nullmark::cuda
