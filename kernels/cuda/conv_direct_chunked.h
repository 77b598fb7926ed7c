// Direct forward convolution by channel chunks, for layers with many channels and small images
// (ResNet-20's 64-channel 8x8 stage). There the bank-resident forward program (DirectFwd in
// conv_direct.h) cannot keep the filter bank in shared memory: it cuts the bank into slices of 16
// filters, stages every image once per slice, and gives each thread one pixel of four filters, two
// shared-memory loads for every four multiply-adds. Measured on an H100 (docs/perf.md), that form
// took 3.5 times cuDNN's time on the 64-channel layer, and the implicit GEMM 1.75 times.
//
// Here a block owns a tile of filters for a few whole images and walks the input channels in
// chunks, like a GEMM's K loop: per chunk it stages the tile's weights for those channels,
// [channel][kh][kw][filter], and the images' zero-padded rows of those channels, then every thread
// adds the chunk's products into 4 pixels x 8 filters of accumulators held in registers. Per kernel
// tap a thread loads two float4 of weights (the same for the whole warp: one broadcast) and four
// input values, for 32 multiply-adds. After the last chunk each thread writes its outputs with the
// bias and the fused ReLU. The sums run in a fixed order: the result is deterministic.
//
// Written as a block program like those of conv_direct.h: load(chunk) and compute(chunk) between
// barriers, then write; conv2d_direct_cuda.cu runs it as a kernel and tests/test_conv_direct.cpp
// runs the same phases on the CPU.
#pragma once
#include <algorithm>
#include <cstddef>

#include "kernels/cuda/conv_direct.h"

namespace nullmark::cuda {

constexpr int kChunkPixels = 4;             // output pixels a thread sums
constexpr int kChunkFilters = kFwdFilters;  // filters a thread sums
constexpr int kChunkAcc = kChunkPixels * kChunkFilters;
constexpr size_t kChunkSmemFloats = 8 * 1024;  // 32 KiB a block: several blocks share an SM

// Grid: x over groups of `imgs` images, y over filter tiles of `tile_f` filters; `threads` a block.
struct DirectFwdChunked : ConvDims, ForwardOperands {
  int plane;    // output pixels of an image
  int groups;   // pixel groups of an image: thread j of an image takes pixels j, j + groups, ...
  int fgroups;  // groups of kChunkFilters filters in a tile
  int tile_f;   // filters in a tile
  // Floats per staged tap: tile_f rounded up to 8 modulo 32, so that the staging stores of 4 taps x
  // 8 filters fall in 32 different banks.
  int wstride;
  int imgs;                  // images per block
  int cc;                    // input channels per chunk
  int chunks;                // of cc channels, the last part full where cc does not divide c
  int xrows, xcols, xplane;  // staged input rows, columns (zero-padded), floats per channel
  // Floats per staged image: cc * xplane, padded to 16 modulo 32 where a block has two images or
  // more (two images of a warp then read different banks).
  int istride;
  int wtaps;    // taps staged per chunk (cc * kh * kw), rounded up to 4 for the staging loop
  int wfloats;  // staged weights
  int tasks;    // imgs * groups * fgroups, at most one per thread
  int threads;  // the block: the tasks rounded up to whole warps
  int blocks, slices;
  // The staging loops' step of `threads` elements: in (tap / 4, filter group) for the weights, in
  // (image, channel, row, column) for the images.
  int wstep_taps, wstep_groups;
  struct {
    int image, channel, row, col;
  } xstep;
  bool relu;
  FastDiv per_fgroup, per_group, out_w, tile_groups, x_img, x_plane, x_w;

  // spread: fewer images a block where that gives the card more blocks (below); false fills every
  // block's 256 threads, the first measured form (bench_kernels_cuda times both).
  static DirectFwdChunked plan(const Conv2dShape& s, bool spread = true) {
    DirectFwdChunked d{};
    d.set(s);
    d.plane = d.oh * d.ow;
    d.groups = (d.plane + kChunkPixels - 1) / kChunkPixels;
    const int fg_total = (s.f + kChunkFilters - 1) / kChunkFilters;
    d.fgroups = std::max(1, std::min(fg_total, kDirectThreads / std::max(1, d.groups)));
    d.slices = (fg_total + d.fgroups - 1) / d.fgroups;
    d.fgroups = (fg_total + d.slices - 1) / d.slices;  // tiles of equal size
    d.tile_f = d.fgroups * kChunkFilters;
    d.wstride = d.tile_f + ((8 - d.tile_f % 32) + 32) % 32;
    // As many images as fill 256 threads, fewer while that leaves the card short of blocks and a
    // block keeps 128 tasks: on an H100 the 64-channel layer in 192 blocks of two images (1.45 per
    // SM, some SMs one, some two) ran 1.4 times slower per multiply-add than the 32-channel layer
    // in 384 blocks of the same size.
    const int per_image = d.groups * d.fgroups;
    d.imgs = std::max(1, std::min(s.n, kDirectThreads / std::max(1, per_image)));
    while (spread && d.imgs > 1 && (s.n + d.imgs - 1) / d.imgs * d.slices < kFillBlocks &&
           (d.imgs + 1) / 2 * per_image >= kDirectThreads / 2)
      d.imgs = (d.imgs + 1) / 2;
    d.tasks = d.imgs * per_image;
    d.threads = std::min(kDirectThreads, round_up(d.tasks, 32));
    d.xrows = (d.oh - 1) * s.stride + s.kh;
    d.xcols = (d.ow - 1) * s.stride + s.kw;
    d.xplane = d.xrows * d.xcols;
    const int area = s.kh * s.kw;
    // The most channels per chunk within kChunkSmemFloats; a divisor of c when one is at least half
    // that, so that no chunk is part empty.
    const size_t per_channel = static_cast<size_t>(area) * d.wstride + static_cast<size_t>(d.imgs) * d.xplane;
    d.cc = static_cast<int>(std::max<size_t>(1, std::min<size_t>(s.c, kChunkSmemFloats / per_channel)));
    for (int c = d.cc; 2 * c >= d.cc; --c)
      if (s.c % c == 0) {
        d.cc = c;
        break;
      }
    d.chunks = (s.c + d.cc - 1) / d.cc;
    d.istride = d.cc * d.xplane;
    if (d.imgs > 1) d.istride += ((16 - d.istride % 32) + 32) % 32;
    d.wtaps = round_up(d.cc * area, 4);
    d.wfloats = d.cc * area * d.wstride;
    d.blocks = (s.n + d.imgs - 1) / d.imgs;
    const int warps = d.threads / 32;
    d.wstep_taps = warps / d.fgroups, d.wstep_groups = warps % d.fgroups;
    d.xstep.col = d.threads % d.xcols;
    const int rows = d.threads / d.xcols;
    d.xstep.row = rows % d.xrows;
    const int channels = rows / d.xrows;
    d.xstep.channel = channels % d.cc, d.xstep.image = channels / d.cc;
    d.relu = s.relu;
    d.per_fgroup = FastDiv(d.imgs * d.groups), d.per_group = FastDiv(d.groups), d.out_w = FastDiv(d.ow);
    d.tile_groups = FastDiv(d.fgroups), d.x_img = FastDiv(d.cc * d.xplane);
    d.x_plane = FastDiv(d.xplane), d.x_w = FastDiv(d.xcols);
    return d;
  }
  size_t smem_floats() const { return static_cast<size_t>(wfloats) + static_cast<size_t>(imgs) * istride; }
  // Every task has a thread (images of more than 1024 output pixels do not fit this form).
  bool fits_threads() const { return tasks <= kDirectThreads; }
  // ... and at least half the threads have a task.
  bool busy() const { return fits_threads() && tasks >= kDirectThreads / 2; }

  // Chunk `chunk` of the tile's weights and of the block's images, zero past the last channel,
  // filter and image and in the padding.
  // Both staging loops take kStageBatch elements at a time: all their global loads first, then their
  // stores to shared memory, so that a thread waits for one round trip to memory per batch instead of
  // one per element (the compiler does not batch them itself where a store may be skipped).
  static constexpr int kStageBatch = 4;

  NM_HOST_DEVICE void load(int chunk, int tid, int bx, int by, float* sm) const {
    const int area = kh * kw, taps = c * area, ctaps = cc * area, ch0 = chunk * cc, f0 = by * tile_f;
    // Weights: a warp takes 4 consecutive taps (16 bytes of a filter in memory) of 8 filters. Element
    // i = (rest, 8 filters, 4 taps) with rest = (tap / 4, filter group); a thread's lane fixes the
    // low parts, and rest advances by a whole number of groups and taps, so no division per element.
    {
      const int lane = tid & 31, lo = lane & 3, fl_lo = lane >> 2, rests = wtaps / 4 * fgroups;
      int rest = tid >> 5, hi = tile_groups.div(rest), fg = rest - hi * fgroups;
      while (rest < rests) {
        float v[kStageBatch];
        int to[kStageBatch];
        for (int k = 0; k < kStageBatch; ++k) {
          const int tap = hi * 4 + lo, fl = fg * kChunkFilters + fl_lo, fi = f0 + fl, at = ch0 * area + tap;
          const bool staged = rest < rests && tap < ctaps;
          v[k] = staged && fi < f && at < taps ? wt[static_cast<size_t>(fi) * taps + at] : 0.0f;
          to[k] = staged ? tap * wstride + fl : -1;
          rest += threads >> 5, hi += wstep_taps, fg += wstep_groups;
          if (fg >= fgroups) fg -= fgroups, ++hi;
        }
        for (int k = 0; k < kStageBatch; ++k)
          if (to[k] >= 0) sm[to[k]] = v[k];
      }
    }
    // Images: [image][channel][row][column], rows and columns as the kernel reads them. Element i =
    // (image, channel, row, column) advances by `threads` = xstep in the same mixed radix, carrying
    // at most one into each next place.
    float* xs = sm + wfloats;
    const int xn = imgs * cc * xplane;
    int il = x_img.div(tid), rem = tid - il * cc * xplane, chl = x_plane.div(rem);
    rem -= chl * xplane;
    int r = x_w.div(rem), col = rem - r * xcols;
    for (int i = tid; i < xn;) {
      float v[kStageBatch];
      int to[kStageBatch];
      for (int k = 0; k < kStageBatch; ++k, i += threads) {
        const int img = bx * imgs + il, ch = ch0 + chl, iy = r - pad, ix = col - pad;
        v[k] = i < xn && img < n && ch < c && iy >= 0 && iy < h && ix >= 0 && ix < w
                   ? x[(static_cast<size_t>(img * c + ch) * h + iy) * w + ix]
                   : 0.0f;
        to[k] = i < xn ? il * istride + (chl * xrows + r) * xcols + col : -1;
        col += xstep.col;
        if (col >= xcols) col -= xcols, ++r;
        r += xstep.row;
        if (r >= xrows) r -= xrows, ++chl;
        chl += xstep.channel;
        if (chl >= cc) chl -= cc, ++il;
        il += xstep.image;
      }
      for (int k = 0; k < kStageBatch; ++k)
        if (to[k] >= 0) xs[to[k]] = v[k];
    }
  }

  // This thread's task: its filter group in the tile, image in the block and pixel group.
  struct Task {
    int fg, il, group;
  };
  NM_HOST_DEVICE Task task(int tid) const {
    const int fg = per_fgroup.div(tid), r = tid - fg * imgs * groups, il = per_group.div(r);
    return {fg, il, r - il * groups};
  }
  // Pixel j of a task: group + j * groups (the group itself where that is past the last pixel, whose
  // sums are then not written).
  NM_HOST_DEVICE int pixel(const Task& t, int j) const {
    const int p = t.group + j * groups;
    return p < plane ? p : t.group;
  }

  // KW: the kernel width as a compile-time constant (3 or 5), or 0 to read it from the plan. With it
  // known, a row of taps unrolls and each input read is a pixel's row pointer plus a constant: in
  // the sm_90 code a row of 3 taps is 130 instructions (96 multiply-adds, 18 shared-memory loads)
  // and a row of 5 is 209, 42-44 a tap, against 59 with the width read at run time (first version).
  template <int KW>
  NM_HOST_DEVICE void compute(int chunk, int tid, const float* sm, float (&acc)[kChunkAcc]) const {
    if (tid >= tasks) return;
    const int kwn = KW > 0 ? KW : kw;
    const Task t = task(tid);
    int off[kChunkPixels];  // each pixel's staged input at tap (0, 0) of the chunk's first channel
    for (int j = 0; j < kChunkPixels; ++j) {
      const int p = pixel(t, j), oy = out_w.div(p), ox = p - oy * ow;
      off[j] = t.il * istride + oy * stride * xcols + ox * stride;
    }
    const int chn = c - chunk * cc < cc ? c - chunk * cc : cc;
    const float* ws = sm + t.fg * kChunkFilters;
    const float* xs = sm + wfloats;
    for (int chl = 0; chl < chn; ++chl)
#if defined(__CUDA_ARCH__)
#pragma unroll 1
#endif
      for (int ki = 0; ki < kh; ++ki) {
        const float* xrow = xs + chl * xplane + ki * xcols;
        const float* wrow = ws + (chl * kh + ki) * kwn * wstride;
        const float* xp[kChunkPixels];
        for (int j = 0; j < kChunkPixels; ++j) xp[j] = xrow + off[j];
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
        for (int kj = 0; kj < kwn; ++kj) {
          float wv[kChunkFilters], xv[kChunkPixels];
          load_aligned<kChunkFilters>(wrow + kj * wstride, wv);
          for (int j = 0; j < kChunkPixels; ++j) xv[j] = xp[j][kj];
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
          for (int j = 0; j < kChunkPixels; ++j)
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
            for (int q = 0; q < kChunkFilters; ++q) acc[j * kChunkFilters + q] += wv[q] * xv[j];
        }
      }
  }
  // The kernel width the kernels are compiled for (3 and 5: the digit and object models), else 0.
  int unrolled_width() const { return kw == 3 || kw == 5 ? kw : 0; }

  // After the last chunk: the outputs with the bias and the fused ReLU.
  NM_HOST_DEVICE void write(int tid, int bx, int by, const float (&acc)[kChunkAcc]) const {
    if (tid >= tasks) return;
    const Task t = task(tid);
    const int img = bx * imgs + t.il;
    if (img >= n) return;
    for (int j = 0; j < kChunkPixels; ++j) {
      const int p = t.group + j * groups;
      if (p >= plane) break;
      for (int q = 0; q < kChunkFilters; ++q) {
        const int fi = by * tile_f + t.fg * kChunkFilters + q;
        if (fi >= f) break;
        const float v = acc[j * kChunkFilters + q] + (b ? b[fi] : 0.0f);
        y[(static_cast<size_t>(img) * f + fi) * plane + p] = relu ? (v > 0.0f ? v : 0.0f) : v;
      }
    }
  }
};

// DirectFwdChunked with the kernel width fixed at compile time (0: read from the plan), as the
// kernels and their CPU runs call it.
template <int KW>
struct DirectFwdChunkedBy : DirectFwdChunked {
  NM_HOST_DEVICE void compute(int chunk, int tid, const float* sm, float (&acc)[kChunkAcc]) const {
    DirectFwdChunked::template compute<KW>(chunk, tid, sm, acc);
  }
};

// Launcher (conv2d_direct_cuda.cu, CUDA builds only), with its pointers set.
void conv2d_direct_forward_chunked(const DirectFwdChunked& d);

}  // namespace nullmark::cuda
