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
// Staging is pipelined where there are several chunks: two buffers, and while the block sums chunk k
// from one, the copies of chunk k + 1 into the other are in flight (cp.async on sm_80 and later),
// so a block does not wait for memory at every chunk. With two or three blocks of four to six warps
// an SM (the 64-channel layer), little else hides that wait. The two buffers share the budget one
// buffer had, so the occupancy is the same and chunks hold half the channels. How many filters a
// block takes and for how many images is the tiling (conv_chunked_tiling.h). The forms measured
// before this one (one buffer, full blocks, a fixed warp span) are plans of the same program kept in
// dev/cuda/conv_chunked_variants.h, where they are checked against the CPU and timed.
//
// Written as a block program like those of conv_direct.h: load(chunk) and compute(chunk) between
// barriers, then write; conv2d_direct_cuda.cu runs it as a kernel and tests/test_conv_direct.cpp
// runs the same phases on the CPU, with the pipelined copies landing at the earliest and at the
// latest moment the kernel allows.
#pragma once
#include <algorithm>
#include <cstddef>

#include "kernels/cuda/context.h"
#include "kernels/cuda/conv_chunked_tiling.h"
#include "kernels/cuda/conv_direct.h"
#include "kernels/cuda/shared_banks.h"

namespace nullmark::cuda {

constexpr int kChunkAcc = kChunkPixels * kChunkFilters;
constexpr size_t kChunkSmemFloats = 8 * 1024;  // 32 KiB a block: several blocks share an SM

// What a warp's threads span beyond one filter group of one image, where an image has fewer than 32
// pixel groups (8x8 outputs have 16): further images (the form first measured on the H100) or
// further filter groups of the same image. Across images, the two half-warps read rows of two staged
// images, which share banks whatever the images' offset (rows of 8 pixels 10 floats apart cover 18
// banks a pair), so each input load takes 2 wavefronts; across filter groups they read the same
// inputs (a broadcast) and two float4s of weights. A plan takes the span whose compute loop takes
// fewer wavefronts (shared_banks.h), images on a tie: on the 64-channel layer, 6 a tap and warp
// instead of 10.

// Staging by plain loads and stores, kStageBatch elements at a time: every load of a batch first,
// then its stores, so that a thread waits for one round trip to memory per batch instead of one per
// element (the compiler does not batch them itself where a store may be skipped). take(k, ...) one
// element (read false: a zero; to < 0: nothing to store), then store() the batch.
template <int K>
struct LoadThenStore {
  float v[K];
  int at[K];
  NM_HOST_DEVICE void take(float*, int k, int to, const float* from, bool read) {
    v[k] = read ? *from : 0.0f, at[k] = to;
  }
  NM_HOST_DEVICE void store(float* buf) const {
    for (int k = 0; k < K; ++k)
      if (at[k] >= 0) buf[at[k]] = v[k];
  }
};

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
  int buffers;  // 2 where staging is pipelined, else 1
  int buffer_floats;  // one buffer: the weights, then the images; a whole number of float4
  int tasks;    // imgs * groups * fgroups, at most one per thread
  int threads;  // the block: the tasks rounded up to whole warps
  int blocks, slices;
  // The weights' staging loop gives a warp 4 taps of 8 filters in each of kStageBatch filter groups
  // (wblocks such blocks of groups a tile) and steps by `threads` / 32 of these in (tap / 4, block);
  // the images' gives each thread a segment of kStageBatch columns of a row (xsegs segments a row)
  // and steps by xrows_step rows (threads / xsegs) in (image, channel, row).
  int wblocks, wstep_taps, wstep_blocks;
  int xsegs, xrows_step;
  struct {
    int image, channel, row;
  } xstep;
  bool relu;
  // Warps across filter groups: a thread's index is (image, filter group, pixel group), else (filter
  // group, image, pixel group); per_outer divides it by the tasks of one outer value.
  bool warps_by_filters;
  FastDiv per_outer, per_group, out_w, tile_blocks, x_seg, x_chan_rows, x_rows;

  // The plan conv2d_forward takes where it measures no tilings: the tiling the model rates fastest.
  static DirectFwdChunked plan(const Conv2dShape& s) { return plan(s, chunk_spread_tiling(s)); }
  // Tiling t, with at most `max_buffers` staging buffers: 2 pipelines the staging where there are
  // several chunks; 1 loads each chunk into one buffer and waits.
  static DirectFwdChunked plan(const Conv2dShape& s, const ChunkTiling& t, int max_buffers = 2) {
    DirectFwdChunked d{};
    d.set(s);
    d.plane = d.oh * d.ow;
    d.groups = chunk_pixel_groups(s);
    d.fgroups = t.fgroups, d.slices = t.slices, d.imgs = t.imgs;
    d.tile_f = d.fgroups * kChunkFilters;
    d.wstride = d.tile_f + ((8 - d.tile_f % 32) + 32) % 32;
    const int per_image = d.groups * d.fgroups;
    d.tasks = d.imgs * per_image;
    d.threads = std::min(kDirectThreads, round_up(d.tasks, 32));
    d.xrows = (d.oh - 1) * s.stride + s.kh;
    d.xcols = (d.ow - 1) * s.stride + s.kw;
    d.xplane = d.xrows * d.xcols;
    const int area = s.kh * s.kw;
    // The most channels per chunk within a buffer's share of kChunkSmemFloats; a divisor of c when
    // one is at least half that, so that no chunk is part empty.
    const size_t per_channel = static_cast<size_t>(area) * d.wstride + static_cast<size_t>(d.imgs) * d.xplane;
    auto chunk_channels = [&](size_t budget) {
      int cc = static_cast<int>(std::max<size_t>(1, std::min<size_t>(s.c, budget / per_channel)));
      for (int c = cc; 2 * c >= cc; --c)
        if (s.c % c == 0) return c;
      return cc;
    };
    d.cc = chunk_channels(kChunkSmemFloats);
    d.buffers = max_buffers >= 2 && d.cc < s.c ? 2 : 1;
    if (d.buffers == 2) d.cc = chunk_channels(kChunkSmemFloats / 2);
    d.chunks = (s.c + d.cc - 1) / d.cc;
    d.istride = d.cc * d.xplane;
    if (d.imgs > 1) d.istride += ((16 - d.istride % 32) + 32) % 32;
    d.wtaps = round_up(d.cc * area, 4);
    d.wfloats = d.cc * area * d.wstride;
    d.buffer_floats = round_up(d.wfloats + d.imgs * d.istride, 4);
    d.blocks = (s.n + d.imgs - 1) / d.imgs;
    const int warps = d.threads / 32;
    d.wblocks = (d.fgroups + kStageBatch - 1) / kStageBatch;
    d.wstep_taps = warps / d.wblocks, d.wstep_blocks = warps % d.wblocks;
    d.xsegs = (d.xcols + kStageBatch - 1) / kStageBatch;
    d.xrows_step = d.threads / d.xsegs;
    d.xstep.row = d.xrows_step % d.xrows;
    const int channels = d.xrows_step / d.xrows;
    d.xstep.channel = channels % d.cc, d.xstep.image = channels / d.cc;
    d.relu = s.relu;
    d.per_group = FastDiv(d.groups), d.out_w = FastDiv(d.ow);
    d.tile_blocks = FastDiv(d.wblocks), d.x_seg = FastDiv(d.xsegs);
    d.x_chan_rows = FastDiv(d.cc * d.xrows), d.x_rows = FastDiv(d.xrows);
    d.span_warps(false);
    const int by_images = d.tap_wavefronts();
    d.span_warps(true);
    if (d.tap_wavefronts() >= by_images) d.span_warps(false);
    return d;
  }
  // Lays the warps across filter groups (true) or images (false), whatever the plan chose.
  void span_warps(bool by_filters) {
    warps_by_filters = by_filters;
    per_outer = FastDiv((by_filters ? fgroups : imgs) * groups);
  }
  // Shared-memory wavefronts of one kernel tap of the compute loop, summed over the block's warps:
  // each thread's 4 input loads and its 2 float4 weight loads. (Every tap moves all of a warp's
  // addresses by the same amount, so every tap takes the same.)
  int tap_wavefronts() const {
    int total = 0;
    for (int w0 = 0; w0 < std::min(threads, tasks); w0 += 32) {
      std::vector<int> in[kChunkPixels], wts;
      for (int tid = w0; tid < std::min(w0 + 32, tasks); ++tid) {
        const Task t = task(tid);
        for (int j = 0; j < kChunkPixels; ++j) {
          const int p = pixel(t, j), oy = p / ow, ox = p - oy * ow;
          in[j].push_back(t.il * istride + oy * stride * xcols + ox * stride);
        }
        wts.push_back(t.fg * kChunkFilters);
      }
      for (const std::vector<int>& a : in) total += shared_load_wavefronts(a, 1);
      total += 2 * shared_load_wavefronts(wts, 4);  // the second float4 is 4 floats on: the same slots apart
    }
    return total;
  }
  size_t smem_floats() const { return static_cast<size_t>(buffers) * buffer_floats; }
  // The buffer that holds chunk `chunk`.
  NM_HOST_DEVICE float* buffer(float* sm, int chunk) const { return sm + (chunk & (buffers - 1)) * buffer_floats; }
  // Every task has a thread (images of more than 1024 output pixels do not fit this form), and a
  // staged row's segments have threads too (rows of at most 4 x 256 columns).
  bool fits_threads() const { return tasks <= kDirectThreads && xsegs <= threads; }
  // ... and at least half the threads have a task.
  bool busy() const { return fits_threads() && tasks >= kDirectThreads / 2; }

  // Chunk `chunk` of the tile's weights and of the block's images into buffer `buf`, zero past the
  // last channel, filter and image and in the padding. Both staging loops hand `put` kStageBatch
  // elements at a time: LoadThenStore<kStageBatch>, or the kernel's asynchronous copies. Each takes
  // its first element apart by division and then steps through the others adding constants: the
  // source and destination indices move with the element's coordinates, and the bounds are limits
  // on those coordinates, fixed per thread. (The form measured on the H100 worked out each element's
  // addresses and bounds from its coordinates: 38 sm_90 instructions a weight, 68 an image float.)
  static constexpr int kStageBatch = 4;

  template <class Put>
  NM_HOST_DEVICE void load(int chunk, int tid, int bx, int by, float* buf, Put put) const {
    const int area = kh * kw, taps = c * area, ctaps = cc * area, ch0 = chunk * cc, f0 = by * tile_f;
    // Weights: a warp takes 4 consecutive taps (16 bytes of a filter in memory) of 8 filters in each
    // of kStageBatch filter groups, a block of groups: lane = (filter in its group, tap), and the
    // batch's elements are the block's groups, 8 filters apart in shared memory and 8 x taps in
    // global memory. A warp steps in rest = (tap / 4, block) by whole blocks and taps.
    {
      const int lane = tid & 31, lo = lane & 3, fl_lo = lane >> 2, rests = wtaps / 4 * wblocks;
      const float* wb = wt + static_cast<size_t>(f0) * taps;  // the tile's first filter
      int rest = tid >> 5, hi = tile_blocks.div(rest), gb = rest - hi * wblocks;
      // Staged while tap = 4 hi + lo < ctaps and filter group g < fgroups (the tile); read from
      // memory while also ch0 * area + tap < taps (a channel of the layer) and f0 + 8 g + fl_lo < f
      // (a filter of the layer).
      const int hi_staged = (ctaps - lo + 3) / 4, hi_layer = (taps - ch0 * area - lo + 3) / 4;
      const int hi_read = hi_layer < hi_staged ? hi_layer : hi_staged;
      const int g_layer = (f - f0 - fl_lo + kChunkFilters - 1) / kChunkFilters;
      const int g_read = g_layer < fgroups ? g_layer : fgroups;
      constexpr int kBlock = kStageBatch * kChunkFilters;  // filters in a block of groups
      const unsigned group_from = kChunkFilters * taps;   // from one group to the next in memory
      unsigned from = (gb * kBlock + fl_lo) * taps + ch0 * area + hi * 4 + lo;
      int to = (hi * 4 + lo) * wstride + gb * kBlock + fl_lo;
      const int step = threads >> 5, from_step = wstep_taps * 4 + wstep_blocks * kBlock * taps,
                to_step = wstep_taps * 4 * wstride + wstep_blocks * kBlock;
      const int from_carry = 4 - wblocks * kBlock * taps, to_carry = 4 * wstride - wblocks * kBlock;
      for (; rest < rests; rest += step) {
        const bool tap_staged = hi < hi_staged, tap_read = hi < hi_read;
        for (int k = 0; k < kStageBatch; ++k) {
          const int g = gb * kStageBatch + k;
          const bool staged = tap_staged && g < fgroups, read = tap_read && g < g_read;
          put.take(buf, k, staged ? to + k * kChunkFilters : -1, wb + (read ? from + k * group_from : 0u), read);
        }
        put.store(buf);
        hi += wstep_taps, gb += wstep_blocks, from += from_step, to += to_step;
        if (gb >= wblocks) gb -= wblocks, ++hi, from += from_carry, to += to_carry;
      }
    }
    // Images: [image][channel][row][column], rows and columns as the kernel reads them. A thread takes
    // the kStageBatch columns of its segment in every xrows_step-th row, in the mixed radix (image,
    // channel, row), carrying at most one into each next place; which of its columns are staged and
    // which read from memory (rather than the zero padding) is fixed per thread.
    const int q = x_seg.div(tid), seg = tid - q * xsegs, col0 = seg * kStageBatch, hw = h * w;
    if (q >= xrows_step) return;  // threads past the last whole set of segments stage no image
    const float* xb = x + static_cast<size_t>(bx) * imgs * c * hw;  // the block's first image
    int il = x_chan_rows.div(q), rem = q - il * cc * xrows, chl = x_rows.div(rem), r = rem - chl * xrows;
    unsigned staged_cols = 0, read_cols = 0;
    for (int k = 0; k < kStageBatch; ++k) {
      const int col = col0 + k;
      staged_cols |= (col < xcols ? 1u : 0u) << k;
      read_cols |= (col >= pad && col < w + pad ? 1u : 0u) << k;
    }
    // Read from memory where the image is one of the layer's, the channel too, and the row falls
    // inside the image.
    const int il_read = n - bx * imgs, chl_read = c - ch0;
    unsigned from = ((il * c + ch0 + chl) * h + r - pad) * w + col0 - pad;
    int to = wfloats + il * istride + chl * xplane + r * xcols + col0;
    const int from_step = ((xstep.image * c + xstep.channel) * h + xstep.row) * w,
              to_step = xstep.image * istride + xstep.channel * xplane + xstep.row * xcols;
    // Carries: a row into a channel, a channel into an image.
    const int from_row = (h - xrows) * w, from_chl = (c - cc) * hw, to_chl = istride - cc * xplane;
    while (il < imgs) {
      const bool row_read = il < il_read && chl < chl_read && r >= pad && r < h + pad;
      for (int k = 0; k < kStageBatch; ++k) {
        const bool read = row_read && (read_cols >> k & 1u);
        put.take(buf, k, staged_cols >> k & 1u ? to + k : -1, xb + (read ? from + k : 0u), read);
      }
      put.store(buf);
      r += xstep.row, from += from_step, to += to_step;
      if (r >= xrows) r -= xrows, ++chl, from += from_row;
      chl += xstep.channel;
      if (chl >= cc) chl -= cc, ++il, from += from_chl, to += to_chl;
      il += xstep.image;
    }
  }

  // This thread's task: its filter group in the tile, image in the block and pixel group.
  struct Task {
    int fg, il, group;
  };
  NM_HOST_DEVICE Task task(int tid) const {
    const int outer = per_outer.div(tid), r = tid - outer * static_cast<int>(per_outer.d), inner = per_group.div(r);
    const int group = r - inner * groups;
    return warps_by_filters ? Task{inner, outer, group} : Task{outer, inner, group};
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
  NM_HOST_DEVICE void compute(int chunk, int tid, const float* buf, float (&acc)[kChunkAcc]) const {
    if (tid >= tasks) return;
    const int kwn = KW > 0 ? KW : kw;
    const Task t = task(tid);
    int off[kChunkPixels];  // each pixel's staged input at tap (0, 0) of the chunk's first channel
    for (int j = 0; j < kChunkPixels; ++j) {
      const int p = pixel(t, j), oy = out_w.div(p), ox = p - oy * ow;
      off[j] = t.il * istride + oy * stride * xcols + ox * stride;
    }
    const int chn = c - chunk * cc < cc ? c - chunk * cc : cc;
    const float* ws = buf + t.fg * kChunkFilters;
    const float* xs = buf + wfloats;
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
  NM_HOST_DEVICE void compute(int chunk, int tid, const float* buf, float (&acc)[kChunkAcc]) const {
    DirectFwdChunked::template compute<KW>(chunk, tid, buf, acc);
  }
};

// Launcher (conv2d_direct_cuda.cu, CUDA builds only), with its pointers set.
void conv2d_direct_forward_chunked(const Context& ctx, const DirectFwdChunked& d);

}  // namespace nullmark::cuda
