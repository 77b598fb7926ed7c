// Direct convolution: a block stages images (the input, or the ReLU-masked output gradient; whole,
// or in bands of rows) and the filter bank in shared memory and every thread sums its share of
// products from there. The implicit GEMM (gemm_tile.cuh) recomputes each operand's image
// coordinates for every element it loads and fills its 64-row tiles only a quarter with the 16
// filters of the digit model's first layer; here coordinates are computed once per position and
// the filters of a thread sit in registers.
//
//   weight gradient  dW[f, k] = sum over images and positions p of g[f, p] * x[k shifted by p]
//                    db[f]    = sum of g[f, p] (the bias is one more column k with x = 1)
//   input gradient   dx[c, q] = sum over (f, kh, kw) that reach pixel q of W[f, c, kh, kw] * g[f, o]
//   forward          y[f, p]  = b[f] + sum over (c, kh, kw) of W[f, c, kh, kw] * x[c, p shifted by (kh, kw)]
//
// Each kernel is written as a block program: the phases between two __syncthreads() are member
// functions of (thread index, shared memory), callable on the host too. The forward pass and the
// input gradient share one shape of program: stage a filter bank (slice) once, then unit by unit
// (an image, or a band of one) stage the unit and compute (load_weights, load_unit, compute). conv2d_direct_cuda.cu
// runs them as CUDA kernels; tests/test_conv_direct.cpp runs the same phases on the CPU, thread by thread between
// barriers, against the CPU kernels, so the index arithmetic is checked on machines without a GPU.
// The weight gradient is deterministic: each block writes its partial sums, one pass adds them in
// block order.
#pragma once
#include <algorithm>
#include <cstddef>

#include "kernels/conv2d.h"
#include "kernels/cuda/context.h"
#include "kernels/cuda/fast_div.h"
#include "kernels/grad_mode.h"
#include "kernels/host_device.h"

#if defined(__CUDA_ARCH__)
#include <vector_types.h>
#endif

namespace nullmark::cuda {

constexpr int kDirectThreads = 256;
// Blocks a launch aims for: two per SM on the 132-SM H100 / H200 (the split-K GEMM uses it too).
constexpr int kFillBlocks = 264;
constexpr int kWgradFilters = 16;  // filters whose sums one weight-gradient thread keeps
constexpr int kDgradChannels = 4;  // input channels whose sums one input-gradient thread keeps
constexpr int kFwdFilters = 8;     // filters whose sums one forward thread keeps

// n floats from shared memory, 16-byte aligned, as float4 loads on the GPU.
template <int n>
NM_HOST_DEVICE inline void load_aligned(const float* p, float* out) {
#if defined(__CUDA_ARCH__)
#pragma unroll
  for (int i = 0; i < n; i += 4) {
    const float4 v = *reinterpret_cast<const float4*>(p + i);
    out[i] = v.x, out[i + 1] = v.y, out[i + 2] = v.z, out[i + 3] = v.w;
  }
#else
  for (int i = 0; i < n; ++i) out[i] = p[i];
#endif
}

inline int round_up(int v, int to) { return (v + to - 1) / to * to; }

// `units` of work (images, or bands of them) shared out among about kFillBlocks / rows blocks per
// row of the grid, every block getting at least one: the units each block takes, and the blocks.
struct UnitSplit {
  int per_block, blocks;
};
inline UnitSplit split_units(int units, int rows) {
  const int want = std::max(1, std::min(units, kFillBlocks / rows));
  const int per_block = (units + want - 1) / want;
  return {per_block, (units + per_block - 1) / per_block};
}

// The convolution's sizes, as every block program reads them.
struct ConvDims {
  int n, c, h, w, f, kh, kw, stride, pad, oh, ow;
  void set(const Conv2dShape& s) {
    n = s.n, c = s.c, h = s.h, w = s.w, f = s.f, kh = s.kh, kw = s.kw, stride = s.stride, pad = s.pad;
    oh = s.oh(), ow = s.ow();
  }
};

// What a forward program reads and writes (set by the caller after planning).
struct ForwardOperands {
  const float* x = nullptr;
  const float* wt = nullptr;
  const float* b = nullptr;  // null: no bias
  float* y = nullptr;
};

// Weight (and bias) gradient. A task is one column k (an input channel and kernel tap, or the bias)
// for a group of 16 filters; threads of a warp take neighbouring columns of the same group, so their
// gradient reads are one broadcast. With fewer tasks than threads, `splits` threads share a task,
// each taking every splits-th position, and add their sums in shared memory at the end.
// The input is staged with the rows and columns the sums read, zero outside the image, so they check
// no bounds; images too large for 64 KiB of shared memory are staged in bands of output rows. A
// block's work is a run of (image, band) units.
// Grid: x over blocks of units, y over chunks of tasks.
struct DirectWgrad : ConvDims {
  int taps;     // c * kh * kw
  int cols;     // taps, plus one for the bias
  int groups;   // filter groups of kWgradFilters
  int gstride;  // floats per position in the staged gradient: the groups' filters, padded
  int rows;     // output rows per band
  int bands;    // bands per image
  int xrows;    // input rows a band reads
  int xcols;    // input columns the kernel reads (the padded width)
  int xfloats;  // staged input, rounded to a float4
  int tasks, chunk, splits;
  int step_rows, step_cols;  // `splits` positions as whole output rows and the columns left over
  int units_per_block, blocks_x, blocks_y;
  FastDiv band_of, band_plane, xplane, x_w, out_w, tap_area, tap_w;
  const float* x = nullptr;
  const float* dy = nullptr;
  const float* y = nullptr;  // forward output when the ReLU is fused, else null
  float* partial = nullptr;  // [blocks_x][f][cols]

  static DirectWgrad plan(const Conv2dShape& s, bool bias) {
    DirectWgrad d{};
    d.set(s);
    d.taps = s.c * s.kh * s.kw;
    d.cols = d.taps + (bias ? 1 : 0);
    d.groups = (s.f + kWgradFilters - 1) / kWgradFilters;
    d.gstride = d.groups * kWgradFilters + 4;  // + 4: transposed stores fall in more banks
    d.xcols = (d.ow - 1) * s.stride + s.kw;
    auto staged = [&](int rows) {
      const int xrows = (rows - 1) * s.stride + s.kh;
      return static_cast<size_t>(round_up(s.c * xrows * d.xcols, 4)) + static_cast<size_t>(rows) * d.ow * d.gstride;
    };
    d.rows = d.oh;
    while (d.rows > 1 && staged(d.rows) * sizeof(float) > 64 * 1024) d.rows = (d.rows + 1) / 2;
    d.bands = (d.oh + d.rows - 1) / d.rows;
    d.xrows = (d.rows - 1) * s.stride + s.kh;
    d.xfloats = round_up(s.c * d.xrows * d.xcols, 4);
    d.tasks = d.cols * d.groups;
    d.chunk = std::min(d.tasks, kDirectThreads);
    d.splits = kDirectThreads / d.chunk;
    d.step_rows = d.splits / d.ow, d.step_cols = d.splits % d.ow;
    d.blocks_y = (d.tasks + d.chunk - 1) / d.chunk;
    const int units = s.n * d.bands;
    const UnitSplit split = split_units(units, d.blocks_y);
    d.units_per_block = split.per_block, d.blocks_x = split.blocks;
    d.band_of = FastDiv(d.bands), d.band_plane = FastDiv(d.rows * d.ow), d.xplane = FastDiv(d.xrows * d.xcols);
    d.x_w = FastDiv(d.xcols), d.out_w = FastDiv(d.ow), d.tap_area = FastDiv(s.kh * s.kw), d.tap_w = FastDiv(s.kw);
    return d;
  }
  size_t partial_floats() const { return static_cast<size_t>(blocks_x) * f * cols; }
  // At least half of a block's threads have a task: always, as `splits` fills the block with copies
  // of the task chunk (see the other plans' busy()).
  bool busy() const { return chunk * splits >= kDirectThreads / 2; }
  size_t smem_floats() const {
    const size_t staged = static_cast<size_t>(xfloats) + static_cast<size_t>(rows) * ow * gstride;
    const size_t stash = splits > 1 ? static_cast<size_t>(kDirectThreads) * kWgradFilters : 0;
    return std::max(staged, stash);
  }
  NM_HOST_DEVICE int first_unit(int bx) const { return bx * units_per_block; }
  NM_HOST_DEVICE int end_unit(int bx) const {
    const int units = n * bands;
    return units < (bx + 1) * units_per_block ? units : (bx + 1) * units_per_block;
  }

  // Zeroes the staged gradient once: the padding filters of the last group stay zero.
  NM_HOST_DEVICE void clear(int tid, float* sm) const {
    const int total = rows * ow * gstride;
    for (int i = tid; i < total; i += kDirectThreads) sm[xfloats + i] = 0.0f;
  }
  // Stages a unit: the input rows and columns its band reads (zero outside the image, so the sums
  // check no bounds), and the masked gradient of its output rows transposed to [position][filter]
  // (zero past the last row).
  NM_HOST_DEVICE void load(int unit, int tid, float* sm) const {
    const int img = band_of.div(unit), band = unit - img * bands, oy0 = band * rows, iy0 = oy0 * stride - pad;
    const int xn = c * xrows * xcols;
    for (int i = tid; i < xn; i += kDirectThreads) {
      const int ch = xplane.div(i), rem = i - ch * xrows * xcols, r = x_w.div(rem), col = rem - r * xcols;
      const int iy = iy0 + r, ix = col - pad;
      sm[i] = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[(static_cast<size_t>(img * c + ch) * h + iy) * w + ix] : 0.0f;
    }
    const int P = rows * ow, gn = f * P, plane = oh * ow;
    const size_t base = static_cast<size_t>(img) * f * plane + static_cast<size_t>(oy0) * ow;
    float* gs = sm + xfloats;
    for (int i = tid; i < gn; i += kDirectThreads) {
      const int fi = band_plane.div(i), p = i - fi * P;
      float v = 0.0f;
      if (oy0 * ow + p < plane) {
        const size_t at = base + static_cast<size_t>(fi) * plane + p;
        v = dy[at];
        if (y && y[at] <= 0.0f) v = 0.0f;
      }
      gs[p * gstride + fi] = v;
    }
  }
  NM_HOST_DEVICE bool active(int tid, int by) const { return tid < chunk * splits && by * chunk + tid % chunk < tasks; }
  NM_HOST_DEVICE void accumulate(int tid, int by, const float* sm, float (&acc)[kWgradFilters]) const {
    if (!active(tid, by)) return;
    const int task = by * chunk + tid % chunk, part = tid / chunk;
    const int group = task / cols, col = task - group * cols;
    const float* gs = sm + xfloats + group * kWgradFilters;
    const int P = rows * ow;
    float g[kWgradFilters];
    if (col == taps) {  // the bias: x = 1
      for (int p = part; p < P; p += splits) {
        load_aligned<kWgradFilters>(gs + p * gstride, g);
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
        for (int j = 0; j < kWgradFilters; ++j) acc[j] += g[j];
      }
      return;
    }
    const int ch = tap_area.div(col), r = col - ch * kh * kw, ki = tap_w.div(r), kj = r - ki * kw;
    const float* xs = sm + (ch * xrows + ki) * xcols + kj;  // this task's tap, at output position 0
    // Position p = oy * ow + ox (oy within the band) steps by `splits`: a whole number of rows and
    // columns, so no division per position.
    int oy = out_w.div(part), ox = part - oy * ow;
    for (int p = part; p < P; p += splits) {
      const float xv = xs[(oy * xcols + ox) * stride];
      load_aligned<kWgradFilters>(gs + p * gstride, g);
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
      for (int j = 0; j < kWgradFilters; ++j) acc[j] += g[j] * xv;
      oy += step_rows, ox += step_cols;
      if (ox >= ow) ox -= ow, ++oy;
    }
  }
  // After the last unit: threads that split a task leave their sums in shared memory.
  NM_HOST_DEVICE void stash(int tid, float* sm, const float (&acc)[kWgradFilters]) const {
    if (splits == 1 || tid >= chunk * splits) return;
    for (int j = 0; j < kWgradFilters; ++j) sm[tid * kWgradFilters + j] = acc[j];
  }
  // The block's partial sums for its tasks, split parts added in part order.
  NM_HOST_DEVICE void write(int tid, int bx, int by, const float* sm, const float (&acc)[kWgradFilters]) const {
    if (tid >= chunk || !active(tid, by)) return;
    float sum[kWgradFilters];
    for (int j = 0; j < kWgradFilters; ++j) sum[j] = splits == 1 ? acc[j] : 0.0f;
    if (splits > 1)
      for (int part = 0; part < splits; ++part)
        for (int j = 0; j < kWgradFilters; ++j) sum[j] += sm[(part * chunk + tid) * kWgradFilters + j];
    const int task = by * chunk + tid, group = task / cols, col = task - group * cols;
    for (int j = 0; j < kWgradFilters; ++j) {
      const int fi = group * kWgradFilters + j;
      if (fi < f) partial[(static_cast<size_t>(bx) * f + fi) * cols + col] = sum[j];
    }
  }
};

// Input gradient. The filter bank, rearranged to [f][kh][kw][c] (channels padded to a multiple of
// four), stays in shared memory for all of a block's work; the masked output gradient is staged
// unit by unit, a unit being an image or a band of its input rows (with the gradient rows that band
// reads). Within 64 KiB the bank is cut into slices of fewer input channels
// (one per block row) while it is the larger part, the image into bands otherwise. A task is one
// input pixel for four channels; threads of a warp take neighbouring pixels of the same channels, so
// their weight reads are one broadcast float4 and their gradient reads fall in neighbouring banks.
// Grid: x over blocks of units, y over channel slices.
struct DirectDgrad : ConvDims {
  int cslice;   // channels per block row, a multiple of kDgradChannels
  int slices;   // block rows
  int wfloats;  // staged slice of the filter bank
  int rows;     // input rows per band
  int bands;    // bands per image
  int grows;    // gradient rows a band reads, at most
  int units_per_block, blocks;
  bool accumulate;
  FastDiv band_pixels, in_w, by_stride, chans, band_of, grad_plane;
  const float* wt = nullptr;
  const float* dy = nullptr;
  const float* y = nullptr;  // forward output when the ReLU is fused, else null
  float* dx = nullptr;

  // The gradient rows input rows [iy0, iy0 + rows) read start at the first oy >= 0 with
  // oy * stride >= iy0 + pad - kh + 1.
  NM_HOST_DEVICE int first_grad_row(int iy0) const {
    const int a = iy0 + pad - kh + 1;
    return a > 0 ? (a + stride - 1) / stride : 0;
  }

  static DirectDgrad plan(const Conv2dShape& s, bool accumulate) {
    DirectDgrad d{};
    d.set(s);
    // Rows of the gradient a band of input rows reads: a window of rows + kh - 1 positions, at most
    // one in `stride` of them, and never more than the gradient has.
    auto grad_rows = [&](int rows) { return std::min((rows + s.kh - 2) / s.stride + 1, d.oh); };
    auto grad = [&](int rows) { return static_cast<size_t>(s.f) * grad_rows(rows) * d.ow; };
    auto bank = [&](int slice) { return static_cast<size_t>(s.f) * s.kh * s.kw * slice; };
    d.cslice = round_up(s.c, kDgradChannels);
    d.rows = s.h;
    while ((bank(d.cslice) + grad(d.rows)) * sizeof(float) > 64 * 1024) {
      if (d.cslice > kDgradChannels && bank(d.cslice) > grad(d.rows))
        d.cslice = round_up(d.cslice / 2, kDgradChannels);  // each slice re-stages the gradient
      else if (d.rows > 1)
        d.rows = (d.rows + 1) / 2;  // bands re-read the gradient rows they share
      else
        break;
    }
    d.slices = (s.c + d.cslice - 1) / d.cslice;
    d.wfloats = static_cast<int>(bank(d.cslice));
    d.bands = (s.h + d.rows - 1) / d.rows;
    d.grows = grad_rows(d.rows);
    const UnitSplit split = split_units(s.n * d.bands, d.slices);
    d.units_per_block = split.per_block, d.blocks = split.blocks;
    d.accumulate = accumulate;
    d.band_pixels = FastDiv(d.rows * s.w), d.in_w = FastDiv(s.w), d.by_stride = FastDiv(s.stride);
    d.chans = FastDiv(d.cslice), d.band_of = FastDiv(d.bands), d.grad_plane = FastDiv(d.grows * d.ow);
    return d;
  }
  size_t smem_floats() const { return static_cast<size_t>(wfloats) + static_cast<size_t>(f) * grows * ow; }
  // At least half of a block's threads have a task: small images with narrow channel slices (a bank
  // much larger than the gradient) leave most of them idle, and the GEMM does better there.
  bool busy() const { return rows * w * (cslice / kDgradChannels) >= kDirectThreads / 2; }
  NM_HOST_DEVICE int first_unit(int bx) const { return bx * units_per_block; }
  NM_HOST_DEVICE int end_unit(int bx) const {
    const int units = n * bands;
    return units < (bx + 1) * units_per_block ? units : (bx + 1) * units_per_block;
  }

  // Channels [by * cslice, (by + 1) * cslice), zero past the last one.
  NM_HOST_DEVICE void load_weights(int tid, int by, float* sm) const {
    const int area = kh * kw;
    for (int i = tid; i < wfloats; i += kDirectThreads) {
      const int rest = chans.div(i), ci = by * cslice + (i - rest * cslice);  // rest = fi * area + tap
      const int fi = rest / area, tap = rest - fi * area;
      sm[i] = ci < c ? wt[(static_cast<size_t>(fi) * c + ci) * area + tap] : 0.0f;
    }
  }
  // The masked gradient rows a unit's band reads (zero past the last).
  NM_HOST_DEVICE void load_unit(int unit, int tid, float* sm) const {
    const int img = band_of.div(unit), gy0 = first_grad_row((unit - img * bands) * rows);
    const int gn = f * grows * ow, plane = oh * ow;
    const size_t base = static_cast<size_t>(img) * f * plane;
    float* gs = sm + wfloats;
    for (int i = tid; i < gn; i += kDirectThreads) {
      const int fi = grad_plane.div(i), rem = i - fi * grows * ow, r = rem / ow, oy = gy0 + r;
      float v = 0.0f;
      if (oy >= 0 && oy < oh) {
        const size_t at = base + static_cast<size_t>(fi) * plane + static_cast<size_t>(oy) * ow + (rem - r * ow);
        v = dy[at];
        if (y && y[at] <= 0.0f) v = 0.0f;
      }
      gs[i] = v;
    }
  }
  NM_HOST_DEVICE void compute(int unit, int tid, int by, const float* sm) const {
    const int img = band_of.div(unit), iy0 = (unit - img * bands) * rows, gy0 = first_grad_row(iy0);
    const int HW = h * w, BP = rows * w, GP = grows * ow, wstep = kh * kw * cslice;
    const int tasks = BP * (cslice / kDgradChannels);
    const float* gs = sm + wfloats;
    for (int t = tid; t < tasks; t += kDirectThreads) {
      const int cg = band_pixels.div(t), q = t - cg * BP;
      const int ly = in_w.div(q), ix = q - ly * w, iy = iy0 + ly;
      if (iy >= h) continue;  // past the last row, in the last band
      float acc[kDgradChannels] = {};
      for (int ki = 0; ki < kh; ++ki) {
        const int ty = iy + pad - ki;
        if (ty < 0) break;  // ty only falls as ki grows
        const int oy = by_stride.div(ty);
        if (oy * stride != ty || oy >= oh) continue;
        for (int kj = 0; kj < kw; ++kj) {
          const int tx = ix + pad - kj;
          if (tx < 0) break;
          const int ox = by_stride.div(tx);
          if (ox * stride != tx || ox >= ow) continue;
          const float* gp = gs + (oy - gy0) * ow + ox;
          const float* wp = sm + (ki * kw + kj) * cslice + cg * kDgradChannels;
          for (int fi = 0; fi < f; ++fi) {
            const float gv = gp[fi * GP];
            float wv[kDgradChannels];
            load_aligned<kDgradChannels>(wp + fi * wstep, wv);
            for (int j = 0; j < kDgradChannels; ++j) acc[j] += wv[j] * gv;
          }
        }
      }
      for (int j = 0; j < kDgradChannels; ++j) {
        const int ch = by * cslice + cg * kDgradChannels + j;
        if (ch >= c) break;
        float& out = dx[(static_cast<size_t>(img) * c + ch) * HW + static_cast<size_t>(iy) * w + ix];
        out = (accumulate ? out : 0.0f) + acc[j];
      }
    }
  }
};

// Forward pass (bias and ReLU fused). A slice of the filter bank, transposed to [c][kh][kw][f]
// (filters padded to a multiple of eight), stays in shared memory for all of a block's work; the
// input is staged unit by unit, a unit being an image or a band of its output rows, with the rows
// and columns it reads zero-padded so that the inner loop checks no bounds. Within 64 KiB the bank
// is cut into slices of filters (one per block row) while it is the larger part, the image into
// bands otherwise. A task is one output pixel for eight (or four) filters; threads of a warp take
// neighbouring pixels of the same filters: broadcast weight reads, neighbouring input reads.
// Grid: x over blocks of units, y over filter slices.
struct DirectFwd : ConvDims, ForwardOperands {
  int fslice;   // filters per block row, a multiple of kFwdFilters
  int slices;   // block rows
  int wfloats;  // staged slice of the filter bank
  int rows;     // output rows per band
  int bands;    // bands per image
  int xrows;    // staged input rows of a band
  int xcols;    // staged input columns (the padded width the kernel reads)
  int units_per_block, blocks;
  int per_thread;  // filters a thread sums: kFwdFilters, or half where a band has few pixels
  bool relu;
  FastDiv band_pixels, out_w, filters, band_of, xplane, x_w;

  static DirectFwd plan(const Conv2dShape& s) {
    DirectFwd d{};
    d.set(s);
    const int taps = s.c * s.kh * s.kw;
    d.xcols = (d.ow - 1) * s.stride + s.kw;
    auto image = [&](int rows) { return static_cast<size_t>(s.c) * ((rows - 1) * s.stride + s.kh) * d.xcols; };
    auto bank = [&](int slice) { return static_cast<size_t>(round_up(taps * slice, 4)); };
    d.fslice = round_up(s.f, kFwdFilters);
    d.rows = d.oh;
    while ((bank(d.fslice) + image(d.rows)) * sizeof(float) > 64 * 1024) {
      if (d.fslice > kFwdFilters && bank(d.fslice) > image(d.rows))
        d.fslice = round_up(d.fslice / 2, kFwdFilters);  // each slice re-stages the image
      else if (d.rows > 1)
        d.rows = (d.rows + 1) / 2;  // bands re-read the rows they share
      else
        break;
    }
    d.slices = (s.f + d.fslice - 1) / d.fslice;
    d.wfloats = static_cast<int>(bank(d.fslice));
    d.bands = (d.oh + d.rows - 1) / d.rows;
    d.xrows = (d.rows - 1) * s.stride + s.kh;
    const int units = s.n * d.bands;
    const UnitSplit split = split_units(units, d.slices);
    d.units_per_block = split.per_block, d.blocks = split.blocks;
    d.relu = s.relu;
    d.per_thread = d.rows * d.ow * (d.fslice / kFwdFilters) < kDirectThreads ? kFwdFilters / 2 : kFwdFilters;
    d.band_pixels = FastDiv(d.rows * d.ow), d.out_w = FastDiv(d.ow), d.filters = FastDiv(d.fslice);
    d.band_of = FastDiv(d.bands), d.xplane = FastDiv(d.xrows * d.xcols), d.x_w = FastDiv(d.xcols);
    return d;
  }
  size_t smem_floats() const { return static_cast<size_t>(wfloats) + static_cast<size_t>(c) * xrows * xcols; }
  // At least half of a block's threads have a task (see DirectDgrad::busy).
  bool busy() const { return rows * ow * (fslice / per_thread) >= kDirectThreads / 2; }
  NM_HOST_DEVICE int first_unit(int bx) const { return bx * units_per_block; }
  NM_HOST_DEVICE int end_unit(int bx) const {
    const int units = n * bands;
    return units < (bx + 1) * units_per_block ? units : (bx + 1) * units_per_block;
  }

  // Filters [by * fslice, (by + 1) * fslice), zero past the last one.
  NM_HOST_DEVICE void load_weights(int tid, int by, float* sm) const {
    const int taps = c * kh * kw, total = taps * fslice;
    for (int i = tid; i < total; i += kDirectThreads) {
      const int tap = filters.div(i), fi = by * fslice + (i - tap * fslice);
      sm[i] = fi < f ? wt[static_cast<size_t>(fi) * taps + tap] : 0.0f;
    }
  }
  // The input rows and columns a unit reads, zero outside the image.
  NM_HOST_DEVICE void load_unit(int unit, int tid, float* sm) const {
    const int img = band_of.div(unit), band = unit - img * bands, iy0 = band * rows * stride - pad;
    const int xn = c * xrows * xcols;
    for (int i = tid; i < xn; i += kDirectThreads) {
      const int ch = xplane.div(i), rem = i - ch * xrows * xcols, r = x_w.div(rem), col = rem - r * xcols;
      const int iy = iy0 + r, ix = col - pad;
      sm[wfloats + i] =
          iy >= 0 && iy < h && ix >= 0 && ix < w ? x[(static_cast<size_t>(img * c + ch) * h + iy) * w + ix] : 0.0f;
    }
  }
  // FB filters a thread: kFwdFilters, or half that where a block would otherwise leave threads idle
  // (per_thread says which; the kernel is instantiated for both).
  template <int FB>
  NM_HOST_DEVICE void compute(int unit, int tid, int by, const float* sm) const {
    const int img = band_of.div(unit), oy0 = (unit - img * bands) * rows;
    const int P = rows * ow, tasks = P * (fslice / FB);
    const float* xs = sm + wfloats;
    for (int t = tid; t < tasks; t += kDirectThreads) {
      const int group = band_pixels.div(t), p = t - group * P;
      const int oy = out_w.div(p), ox = p - oy * ow;     // oy within the band
      if (oy0 + oy >= oh) continue;                      // past the last row, in the last band
      const int s0 = group * FB, f0 = by * fslice + s0;  // in the slice; in the bank
      float acc[FB];
      for (int j = 0; j < FB; ++j) acc[j] = (b && f0 + j < f) ? b[f0 + j] : 0.0f;
      for (int ch = 0; ch < c; ++ch)
        for (int ki = 0; ki < kh; ++ki) {
          const float* xrow = xs + (ch * xrows + oy * stride + ki) * xcols + ox * stride;
          const float* wrow = sm + (ch * kh + ki) * kw * fslice + s0;
          for (int kj = 0; kj < kw; ++kj) {
            float wv[FB];
            load_aligned<FB>(wrow + kj * fslice, wv);
            const float xv = xrow[kj];
            for (int j = 0; j < FB; ++j) acc[j] += wv[j] * xv;
          }
        }
      const size_t plane = static_cast<size_t>(oh) * ow, at = static_cast<size_t>(oy0 + oy) * ow + ox;
      for (int j = 0; j < FB; ++j) {
        if (f0 + j >= f) break;
        const float v = acc[j];
        y[(static_cast<size_t>(img) * f + f0 + j) * plane + at] = relu ? (v > 0.0f ? v : 0.0f) : v;
      }
    }
  }
};

// DirectFwd with its threads' filter count fixed, as the kernels and their CPU runs call it.
template <int FB>
struct DirectFwdBy : DirectFwd {
  NM_HOST_DEVICE void compute(int unit, int tid, int by, const float* sm) const {
    DirectFwd::template compute<FB>(unit, tid, by, sm);
  }
};

// Launchers (conv2d_direct_cuda.cu, CUDA builds only). A caller makes one plan per product, decides
// with it (conv2d_direct_fits, busy()) and launches it with its pointers set; the launchers check that
// the card has the shared memory and say so when not.
// Whether a block of `smem_floats` floats fits under max_bytes and what this card allows.
bool conv2d_direct_fits(size_t smem_floats, size_t max_bytes);
// The same for the plans of shape s (for tests and benchmarks).
bool conv2d_direct_forward_fits(const Conv2dShape& s, size_t max_bytes);
bool conv2d_direct_input_grad_fits(const Conv2dShape& s, size_t max_bytes);
bool conv2d_direct_weight_grad_fits(const Conv2dShape& s, size_t max_bytes);
size_t conv2d_direct_workspace(const Conv2dShape& s);  // floats of block partials, with or without bias
void conv2d_direct_forward(const Context& ctx, const DirectFwd& d);
void conv2d_direct_input_grad(const Context& ctx, const DirectDgrad& d);
// d.partial holds d.partial_floats() floats; dw or db may be null (a column nobody asked for is dropped).
void conv2d_direct_weight_grad(const Context& ctx, const DirectWgrad& d, float* dw, float* db, GradMode mode);
// Adds partial weight gradients work[blocks][f][cols] in a fixed order into dw[f][taps] (columns below
// `taps`) and db[f] (column `taps`, when cols > taps); either may be null. The split-K GEMM path's
// slices share it.
void conv2d_sum_weight_partials(const Context& ctx, int f, int cols, int taps, int blocks, const float* work, float* dw, float* db,
                                GradMode mode);

}  // namespace nullmark::cuda
