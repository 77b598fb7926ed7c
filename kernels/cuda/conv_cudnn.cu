#include <cuda_bf16.h>
#include <cudnn.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>

#include "common/error.h"
#include "kernels/bias.h"
#include "kernels/cuda/conv_cudnn.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/precision.h"
#include "kernels/relu.h"

namespace nullmark::cuda {

namespace {
void check(cudnnStatus_t st, const char* what, int line) {
  if (st != CUDNN_STATUS_SUCCESS) throw fail(__FILE__, ":", line, ": ", what, ": ", cudnnGetErrorString(st));
}
#define NM_CUDNN(call) check((call), #call, __LINE__)

// Descriptors of one convolution shape, created and destroyed around each call (cheap next to the
// convolution itself at the shapes nullmark trains).
struct Descriptors {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  Descriptors(const Context& ctx, const Conv2dShape& s) {
    // bf16: bfloat16 tensors (the staged copies of Bf16Staging), float32 accumulation; tf32: float32
    // tensors on tensor cores; fp32: FMA only.
    const Precision p = ctx.options().precision;
    const cudnnDataType_t t = p == Precision::Bf16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT;
    NM_CUDNN(cudnnCreateTensorDescriptor(&x));
    NM_CUDNN(cudnnCreateTensorDescriptor(&y));
    NM_CUDNN(cudnnCreateFilterDescriptor(&w));
    NM_CUDNN(cudnnCreateConvolutionDescriptor(&conv));
    NM_CUDNN(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, t, s.n, s.c, s.h, s.w));
    NM_CUDNN(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, t, s.n, s.f, s.oh(), s.ow()));
    NM_CUDNN(cudnnSetFilter4dDescriptor(w, t, CUDNN_TENSOR_NCHW, s.f, s.c, s.kh, s.kw));
    NM_CUDNN(cudnnSetConvolution2dDescriptor(conv, s.pad, s.pad, s.stride, s.stride, 1, 1, CUDNN_CROSS_CORRELATION,
                                             CUDNN_DATA_FLOAT));
    NM_CUDNN(cudnnSetConvolutionMathType(conv, p == Precision::Fp32 ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH));
  }
  ~Descriptors() {
    cudnnDestroyTensorDescriptor(x);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyConvolutionDescriptor(conv);
  }
  Descriptors(const Descriptors&) = delete;
  Descriptors& operator=(const Descriptors&) = delete;
};

struct Algorithms {
  cudnnConvolutionFwdAlgo_t fwd;
  cudnnConvolutionBwdDataAlgo_t data;
  cudnnConvolutionBwdFilterAlgo_t filter;
  size_t workspace_bytes = 0;
};

// The heuristics' best deterministic algorithm that runs, for each direction (nullmark promises
// reproducible GPU runs, so algorithms that reduce with atomics are passed over), asked once per
// shape (a context has one precision).
template <class Perf>
const Perf& pick(const Perf* perf, int got, const char* direction) {
  for (int i = 0; i < got; ++i)
    if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].determinism == CUDNN_DETERMINISTIC) return perf[i];
  throw fail("cuDNN offers no deterministic ", direction, " algorithm for this convolution (use impl: native)");
}

// The context's cuDNN handle (on its stream) and the algorithms chosen so far, by shape.
struct Cudnn {
  cudnnHandle_t handle = nullptr;
  std::map<std::array<int, 8>, Algorithms> algorithms;
  Cudnn() { NM_CUDNN(cudnnCreate(&handle)); }
  ~Cudnn() { cudnnDestroy(handle); }
  Cudnn(const Cudnn&) = delete;
  Cudnn& operator=(const Cudnn&) = delete;
};

Cudnn& cudnn(const Context& ctx) {
  auto& slot = ctx.caches().cudnn;
  if (!slot) {
    auto made = std::make_shared<Cudnn>();
    NM_CUDNN(cudnnSetStream(made->handle, stream(ctx)));
    slot = made;
  }
  return *static_cast<Cudnn*>(slot.get());
}

Algorithms ask_heuristics(cudnnHandle_t h, const Descriptors& d) {
  Algorithms a{};
  constexpr int kAsk = 8;
  int got = 0;
  cudnnConvolutionFwdAlgoPerf_t f[kAsk];
  NM_CUDNN(cudnnGetConvolutionForwardAlgorithm_v7(h, d.x, d.w, d.conv, d.y, kAsk, &got, f));
  const auto& fp = pick(f, got, "forward");
  a.fwd = fp.algo;
  a.workspace_bytes = std::max(a.workspace_bytes, fp.memory);
  cudnnConvolutionBwdDataAlgoPerf_t b[kAsk];
  NM_CUDNN(cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w, d.y, d.conv, d.x, kAsk, &got, b));
  const auto& bp = pick(b, got, "input-gradient");
  a.data = bp.algo;
  a.workspace_bytes = std::max(a.workspace_bytes, bp.memory);
  cudnnConvolutionBwdFilterAlgoPerf_t w[kAsk];
  NM_CUDNN(cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d.x, d.y, d.conv, d.w, kAsk, &got, w));
  const auto& wp = pick(w, got, "weight-gradient");
  a.filter = wp.algo;
  a.workspace_bytes = std::max(a.workspace_bytes, wp.memory);
  return a;
}

Algorithms choose(const Context& ctx, const Conv2dShape& s, const Descriptors& d) {
  Cudnn& c = cudnn(ctx);
  const std::array<int, 8> key{s.n, s.c, s.h, s.w, s.f, s.kh, s.stride, s.pad};
  auto it = c.algorithms.find(key);
  if (it == c.algorithms.end()) it = c.algorithms.emplace(key, ask_heuristics(c.handle, d)).first;
  return it->second;
}

__global__ void relu_mask(size_t count, const float* y, const float* dy, float* g) {
  NM_GRID_LOOP(i, count) g[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

// bf16: cuDNN reads and writes bfloat16 tensors, so the operands are staged as bfloat16 copies
// (rounded as kernels/precision.h rounds) and its results, rounded to bfloat16 by cuDNN, are widened
// back into the float32 outputs. Unlike the native kernels' float32 results, these carry bfloat16's
// rounding, which is why `impl: auto` does not time cuDNN in bf16 (nn/layers/conv2d_layer.cpp).
__global__ void to_bf16(size_t count, const float* in, __nv_bfloat16* out) {
  NM_GRID_LOOP(i, count) out[i] = __float2bfloat16_rz(round_to_bf16(in[i]));  // exact after the rounding
}
__global__ void from_bf16(size_t count, const __nv_bfloat16* in, float* out, bool accumulate) {
  NM_GRID_LOOP(i, count) out[i] = (accumulate ? out[i] : 0.0f) + __bfloat162float(in[i]);
}

// Floats rounded up to whole 256-byte blocks, so that each part of the workspace starts aligned.
size_t aligned(size_t floats) { return (floats + 63) / 64 * 64; }
size_t input_values(const Conv2dShape& s) { return static_cast<size_t>(s.n) * s.c * s.h * s.w; }
size_t filter_values(const Conv2dShape& s) { return static_cast<size_t>(s.f) * s.col_rows(); }
size_t output_values(const Conv2dShape& s) { return static_cast<size_t>(s.n) * s.f * s.oh() * s.ow(); }

// The bfloat16 copies (bf16 only): the input and its gradient, the filters and their gradient, the
// output (or its gradient), each aligned, two values a float.
struct Bf16Staging {
  __nv_bfloat16 *x, *dx, *w, *dw, *y;
  static size_t floats(const Conv2dShape& s) {
    return 2 * aligned((input_values(s) + 1) / 2) + 2 * aligned((filter_values(s) + 1) / 2) +
           aligned((output_values(s) + 1) / 2);
  }
  Bf16Staging(const Conv2dShape& s, float* at) {
    auto take = [&](size_t values) {
      auto* p = reinterpret_cast<__nv_bfloat16*>(at);
      at += aligned((values + 1) / 2);
      return p;
    };
    x = take(input_values(s)), dx = take(input_values(s)), w = take(filter_values(s)), dw = take(filter_values(s));
    y = take(output_values(s));
  }
};

// The workspace, in order: cuDNN's own, dy masked by the fused ReLU, the bfloat16 copies.
struct Workspace {
  size_t library, masked, staging;
  Workspace(const Context& ctx, const Conv2dShape& s, const Algorithms& a)
      : library(aligned((a.workspace_bytes + sizeof(float) - 1) / sizeof(float))),
        masked(s.relu ? aligned(output_values(s)) : 0),
        staging(ctx.options().precision == Precision::Bf16 ? Bf16Staging::floats(s) : 0) {}
  size_t floats() const { return library + masked + staging; }
  Bf16Staging bf16(const Conv2dShape& s, float* work) const { return Bf16Staging(s, work + library + masked); }
};

void stage(const Context& ctx, size_t count, const float* in, __nv_bfloat16* out) {
  to_bf16<<<blocks_for(count), 256, 0, stream(ctx)>>>(count, in, out);
  NM_AFTER_LAUNCH(ctx, "cudnn bf16 staging");
}
void widen(const Context& ctx, size_t count, const __nv_bfloat16* in, float* out, bool accumulate) {
  from_bf16<<<blocks_for(count), 256, 0, stream(ctx)>>>(count, in, out, accumulate);
  NM_AFTER_LAUNCH(ctx, "cudnn bf16 widening");
}
}  // namespace

bool cudnn_available() { return true; }

size_t cudnn_conv_workspace(const Context& ctx, const Conv2dShape& s) {
  const Descriptors d(ctx, s);
  return Workspace(ctx, s, choose(ctx, s, d)).floats();
}

void cudnn_conv_forward(const Context& ctx, const Conv2dShape& s, const float* x, const float* w, const float* b, float* y, float* work) {
  const Descriptors d(ctx, s);
  const Algorithms a = choose(ctx, s, d);
  const float one = 1.0f, zero = 0.0f;
  if (ctx.options().precision == Precision::Bf16) {
    const Bf16Staging b16 = Workspace(ctx, s, a).bf16(s, work);
    stage(ctx, input_values(s), x, b16.x);
    stage(ctx, filter_values(s), w, b16.w);
    NM_CUDNN(cudnnConvolutionForward(cudnn(ctx).handle, &one, d.x, b16.x, d.w, b16.w, d.conv, a.fwd, work,
                                     a.workspace_bytes, &zero, d.y, b16.y));
    widen(ctx, output_values(s), b16.y, y, false);
  } else {
    NM_CUDNN(cudnnConvolutionForward(cudnn(ctx).handle, &one, d.x, x, d.w, w, d.conv, a.fwd, work, a.workspace_bytes,
                                     &zero, d.y, y));
  }
  if (b) bias_add_forward(ctx, s.n, s.f, s.oh() * s.ow(), b, y);
  if (s.relu) relu_forward(ctx, output_values(s), y, y);
}

void cudnn_conv_backward(const Context& ctx, const Conv2dShape& s, const float* x, const float* w, const float* y, const float* dy,
                         float* dx, float* dw, float* db, GradMode mode, float* work) {
  const Descriptors d(ctx, s);
  const Algorithms a = choose(ctx, s, d);
  const Workspace layout(ctx, s, a);
  const size_t ny = output_values(s);
  const float* g = dy;
  if (s.relu) {
    float* masked = work + layout.library;
    relu_mask<<<blocks_for(ny), 256, 0, stream(ctx)>>>(ny, y, dy, masked);
    NM_AFTER_LAUNCH(ctx, "cudnn relu mask");
    g = masked;
  }
  const float one = 1.0f, zero = 0.0f, beta = mode == GradMode::Accumulate ? 1.0f : 0.0f;
  if (ctx.options().precision == Precision::Bf16) {
    // cuDNN writes the gradients as bfloat16 copies; widening them adds them to dx and dw in float32.
    const Bf16Staging b16 = layout.bf16(s, work);
    const size_t nx = input_values(s), nw = filter_values(s);
    stage(ctx, ny, g, b16.y);
    if (dx) {
      stage(ctx, nw, w, b16.w);
      NM_CUDNN(cudnnConvolutionBackwardData(cudnn(ctx).handle, &one, d.w, b16.w, d.y, b16.y, d.conv, a.data, work,
                                            a.workspace_bytes, &zero, d.x, b16.dx));
      widen(ctx, nx, b16.dx, dx, mode == GradMode::Accumulate);
    }
    if (dw) {
      stage(ctx, nx, x, b16.x);
      NM_CUDNN(cudnnConvolutionBackwardFilter(cudnn(ctx).handle, &one, d.x, b16.x, d.y, b16.y, d.conv, a.filter, work,
                                              a.workspace_bytes, &zero, d.w, b16.dw));
      widen(ctx, nw, b16.dw, dw, mode == GradMode::Accumulate);
    }
    if (db) bias_backward(ctx, s.n, s.f, s.oh() * s.ow(), g, db, mode);
    return;
  }
  if (dx)
    NM_CUDNN(cudnnConvolutionBackwardData(cudnn(ctx).handle, &one, d.w, w, d.y, g, d.conv, a.data, work, a.workspace_bytes, &beta,
                                          d.x, dx));
  if (dw)
    NM_CUDNN(cudnnConvolutionBackwardFilter(cudnn(ctx).handle, &one, d.x, x, d.y, g, d.conv, a.filter, work,
                                            a.workspace_bytes, &beta, d.w, dw));
  if (db) bias_backward(ctx, s.n, s.f, s.oh() * s.ow(), g, db, mode);
}

}  // namespace nullmark::cuda
