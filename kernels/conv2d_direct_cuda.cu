// The direct convolution of kernels/cuda/conv_direct.h as CUDA kernels: each block program's phases
// with a barrier between them, and the weight gradient's block partials added in block order by one
// warp per output.
#include <cuda_pipeline.h>
#include <cuda_runtime.h>

#include "common/error.h"
#include "kernels/cuda/conv_direct.h"
#include "kernels/cuda/conv_direct_chunked.h"
#include "kernels/cuda/launch.cuh"

namespace nullmark::cuda {

namespace {
__global__ void __launch_bounds__(kDirectThreads) direct_wgrad_kernel(DirectWgrad d) {
  extern __shared__ float4 smem4[];
  float* sm = reinterpret_cast<float*>(smem4);
  const int tid = threadIdx.x, bx = blockIdx.x, by = blockIdx.y;
  d.clear(tid, sm);
  __syncthreads();
  float acc[kWgradFilters] = {};
  for (int unit = d.first_unit(bx); unit < d.end_unit(bx); ++unit) {
    d.load(unit, tid, sm);
    __syncthreads();
    d.accumulate(tid, by, sm, acc);
    __syncthreads();
  }
  d.stash(tid, sm, acc);
  __syncthreads();
  d.write(tid, bx, by, sm, acc);
}

// out[o] (+)= sum over blocks (or K slices) b of partial[b][o], lanes taking every 32nd block and a
// fixed shuffle tree adding the lanes: the same order on every run. Outputs o = (filter, column); the last column
// is the bias when `cols` exceeds `taps`.
__global__ void sum_weight_partials(int outputs, int cols, int taps, int blocks, const float* partial, float* dw,
                                    float* db, bool accumulate) {
  const int o = (blockIdx.x * blockDim.x + threadIdx.x) / 32, lane = threadIdx.x % 32;
  if (o >= outputs) return;  // whole warps leave together
  float s = 0.0f;
  for (int b = lane; b < blocks; b += 32) s += partial[static_cast<size_t>(b) * outputs + o];
  for (int off = 16; off > 0; off /= 2) s += __shfl_down_sync(0xffffffffu, s, off);
  if (lane != 0) return;
  const int fi = o / cols, col = o - fi * cols;
  float* out = col < taps ? (dw ? dw + static_cast<size_t>(fi) * taps + col : nullptr) : (db ? db + fi : nullptr);
  if (out) *out = (accumulate ? *out : 0.0f) + s;
}

// The forward pass and the input gradient: a filter bank (slice) staged once, then unit by unit. (The
// direct kernels' names start with "direct_": bench/gpu_validate.sh has compute-sanitizer check them by that.)
template <class Program>
__global__ void __launch_bounds__(kDirectThreads) direct_bank_kernel(Program d) {
  extern __shared__ float4 smem4[];
  float* sm = reinterpret_cast<float*>(smem4);
  const int tid = threadIdx.x, bx = blockIdx.x, by = blockIdx.y;
  d.load_weights(tid, by, sm);
  for (int unit = d.first_unit(bx); unit < d.end_unit(bx); ++unit) {
    d.load_unit(unit, tid, sm);
    __syncthreads();
    d.compute(unit, tid, by, sm);
    __syncthreads();
  }
}

// A staging element copied into shared memory asynchronously (cp.async, sm_80 and later): no
// register holds the value, and the thread goes on while it travels. One PTX instruction, guarded
// by a predicate rather than a branch, its shared address an offset from the buffer's address taken
// once; a zero is a copy of no bytes that fills the rest (its source, never read, stays a valid
// address). The CUDA pipeline primitive (__pipeline_memcpy_async) compiled to a branch around each
// copy and recomputed the shared window's base for it: 9 more sm_90 instructions an element.
// Commits and waits are the primitives' own (__pipeline_commit, __pipeline_wait_prior).
struct AsyncCopy {
  unsigned base;  // the buffer's shared-memory address
  __device__ explicit AsyncCopy(const float* buf) : base(static_cast<unsigned>(__cvta_generic_to_shared(buf))) {}
  __device__ void take([[maybe_unused]] float* buf, int, int to, const float* from, bool read) const {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile(
        "{\n"
        "  .reg .pred staged;\n"
        "  setp.ge.s32 staged, %0, 0;\n"
        "  @staged cp.async.ca.shared.global [%1], [%2], 4, %3;\n"
        "}\n" ::"r"(to),
        "r"(base + 4u * static_cast<unsigned>(to)), "l"(from), "r"(read ? 4 : 0)
        : "memory");
#else  // no cp.async before sm_80: a plain copy, and the waits have nothing to wait for
    if (to >= 0) buf[to] = read ? *from : 0.0f;
#endif
  }
  __device__ void store(float*) const {}
};

// The forward pass by channel chunks (conv_direct_chunked.h): its accumulators stay in registers
// from the first chunk to the write. With two buffers, chunk k + 1's copies are issued before chunk
// k is summed; a thread waits for its own copies of chunk k (all but the latest group), and the
// barrier after that makes every thread's copies visible. The barrier after the sums keeps the next
// round's copies out of the buffer until every thread has read it.
template <class Program, int Buffers>
__global__ void __launch_bounds__(kDirectThreads) direct_chunked_forward_kernel(Program d) {
  extern __shared__ float4 smem4[];
  float* sm = reinterpret_cast<float*>(smem4);
  const int tid = threadIdx.x, bx = blockIdx.x, by = blockIdx.y;
  float acc[kChunkAcc] = {};
  if constexpr (Buffers == 1) {
    for (int chunk = 0; chunk < d.chunks; ++chunk) {
      d.load(chunk, tid, bx, by, sm, LoadThenStore<Program::kStageBatch>{});
      __syncthreads();
      d.compute(chunk, tid, sm, acc);
      __syncthreads();
    }
  } else {
    d.load(0, tid, bx, by, d.buffer(sm, 0), AsyncCopy(d.buffer(sm, 0)));
    __pipeline_commit();
    for (int chunk = 0; chunk < d.chunks; ++chunk) {
      if (chunk + 1 < d.chunks) {
        float* next = d.buffer(sm, chunk + 1);
        d.load(chunk + 1, tid, bx, by, next, AsyncCopy(next));
        __pipeline_commit();
        __pipeline_wait_prior(1);
      } else {
        __pipeline_wait_prior(0);
      }
      __syncthreads();
      d.compute(chunk, tid, d.buffer(sm, chunk), acc);
      __syncthreads();
    }
  }
  d.write(tid, bx, by, acc);
}

// The chunked forward kernel for kernel width KW (0: any) and Buffers buffers.
template <int KW, int Buffers>
const void* chunked_kernel() {
  return reinterpret_cast<const void*>(direct_chunked_forward_kernel<DirectFwdChunkedBy<KW>, Buffers>);
}

template <class Program>
void launch_bank_then_units(const Context& ctx, const Program& d, const char* name) {
  direct_bank_kernel<Program>
      <<<dim3(d.blocks, d.slices), kDirectThreads, d.smem_floats() * sizeof(float), stream(ctx)>>>(d);
  NM_AFTER_LAUNCH(ctx, name);
}

// The most shared memory one block may ask for on this card, with the kernels allowed to use it
// (above 48 KiB a kernel must opt in). Asked once: the direct kernels run on one device per process.
size_t shared_memory_limit() {
  static const size_t limit = [] {
    int device = 0, bytes = 0;
    NM_CUDA_CHECK(cudaGetDevice(&device));
    NM_CUDA_CHECK(cudaDeviceGetAttribute(&bytes, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
    NM_CUDA_CHECK(cudaFuncSetAttribute(direct_wgrad_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
    NM_CUDA_CHECK(
        cudaFuncSetAttribute(direct_bank_kernel<DirectDgrad>, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
    NM_CUDA_CHECK(cudaFuncSetAttribute(direct_bank_kernel<DirectFwdBy<kFwdFilters>>,
                                       cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
    NM_CUDA_CHECK(cudaFuncSetAttribute(direct_bank_kernel<DirectFwdBy<kFwdFilters / 2>>,
                                       cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
    // A block stays within 32 KiB unless one channel of the staged images is larger than that.
    for (const void* kernel : {chunked_kernel<0, 1>(), chunked_kernel<3, 1>(), chunked_kernel<5, 1>(),
                               chunked_kernel<0, 2>(), chunked_kernel<3, 2>(), chunked_kernel<5, 2>()})
      NM_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
    return static_cast<size_t>(bytes);
  }();
  return limit;
}

void check_fits(const char* what, const ConvDims& d, size_t floats) {
  const size_t bytes = floats * sizeof(float);
  NM_CHECK(bytes <= shared_memory_limit(), "conv2d: the direct ", what, " kernel needs ", bytes,
           " bytes of shared memory per block for ", d.c, "x", d.h, "x", d.w, " images and ", d.f,
           " filters; this card allows ", shared_memory_limit(), " (impl: native or gemm work at any size)");
}
}  // namespace

bool conv2d_direct_fits(size_t smem_floats, size_t max_bytes) {
  return smem_floats * sizeof(float) <= std::min(max_bytes, shared_memory_limit());
}
bool conv2d_direct_forward_fits(const Conv2dShape& s, size_t max_bytes) {
  return conv2d_direct_fits(DirectFwd::plan(s).smem_floats(), max_bytes);
}
bool conv2d_direct_input_grad_fits(const Conv2dShape& s, size_t max_bytes) {
  return conv2d_direct_fits(DirectDgrad::plan(s, false).smem_floats(), max_bytes);
}
bool conv2d_direct_weight_grad_fits(const Conv2dShape& s, size_t max_bytes) {
  return conv2d_direct_fits(DirectWgrad::plan(s, true).smem_floats(), max_bytes);
}
size_t conv2d_direct_workspace(const Conv2dShape& s) { return DirectWgrad::plan(s, true).partial_floats(); }

void conv2d_direct_forward(const Context& ctx, const DirectFwd& d) {
  check_fits("forward", d, d.smem_floats());
  if (d.per_thread == kFwdFilters)
    launch_bank_then_units(ctx, DirectFwdBy<kFwdFilters>{d}, "conv2d_direct_forward");
  else
    launch_bank_then_units(ctx, DirectFwdBy<kFwdFilters / 2>{d}, "conv2d_direct_forward");
}

template <int KW>
void launch_chunked(const Context& ctx, const DirectFwdChunked& d) {
  const dim3 grid(d.blocks, d.slices);
  const size_t bytes = d.smem_floats() * sizeof(float);
  if (d.buffers == 2)
    direct_chunked_forward_kernel<DirectFwdChunkedBy<KW>, 2><<<grid, d.threads, bytes, stream(ctx)>>>({d});
  else
    direct_chunked_forward_kernel<DirectFwdChunkedBy<KW>, 1><<<grid, d.threads, bytes, stream(ctx)>>>({d});
  NM_AFTER_LAUNCH(ctx, "conv2d_direct_forward_chunked");
}

void conv2d_direct_forward_chunked(const Context& ctx, const DirectFwdChunked& d) {
  check_fits("chunked forward", d, d.smem_floats());
  switch (d.unrolled_width()) {
    case 3:
      launch_chunked<3>(ctx, d);
      break;
    case 5:
      launch_chunked<5>(ctx, d);
      break;
    default:
      launch_chunked<0>(ctx, d);
      break;
  }
}

void conv2d_direct_input_grad(const Context& ctx, const DirectDgrad& d) {
  check_fits("input-gradient", d, d.smem_floats());
  launch_bank_then_units(ctx, d, "conv2d_direct_input_grad");
}

void conv2d_direct_weight_grad(const Context& ctx, const DirectWgrad& d, float* dw, float* db, GradMode mode) {
  check_fits("weight-gradient", d, d.smem_floats());
  direct_wgrad_kernel<<<dim3(d.blocks_x, d.blocks_y), kDirectThreads, d.smem_floats() * sizeof(float), stream(ctx)>>>(d);
  NM_AFTER_LAUNCH(ctx, "conv2d_direct_weight_grad");
  conv2d_sum_weight_partials(ctx, d.f, d.cols, d.taps, d.blocks_x, d.partial, dw, db, mode);
}

void conv2d_sum_weight_partials(const Context& ctx, int f, int cols, int taps, int blocks, const float* work, float* dw, float* db,
                                GradMode mode) {
  const int outputs = f * cols;
  sum_weight_partials<<<(outputs * 32 + 255) / 256, 256, 0, stream(ctx)>>>(outputs, cols, taps, blocks, work, dw, db,
                                                                        mode == GradMode::Accumulate);
  NM_AFTER_LAUNCH(ctx, "conv2d_sum_weight_partials");
}

}  // namespace nullmark::cuda
