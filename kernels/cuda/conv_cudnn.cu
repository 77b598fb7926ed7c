#include <cudnn.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>

#include "common/error.h"
#include "kernels/bias.h"
#include "kernels/cuda/conv_cudnn.h"
#include "kernels/cuda/launch.cuh"
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
    // cuDNN rounds float32 tensors to TF32 at most; bfloat16 would need bfloat16 tensors, whose
    // outputs are rounded too, which is not the precision contract of kernels/precision.h.
    NM_CHECK(ctx.options().precision != Precision::Bf16,
             "conv2d impl cudnn has no bf16 mode for float32 tensors: use impl native (the tensor-core GEMM) or "
             "cuda.precision tf32");
    NM_CUDNN(cudnnCreateTensorDescriptor(&x));
    NM_CUDNN(cudnnCreateTensorDescriptor(&y));
    NM_CUDNN(cudnnCreateFilterDescriptor(&w));
    NM_CUDNN(cudnnCreateConvolutionDescriptor(&conv));
    NM_CUDNN(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, s.n, s.c, s.h, s.w));
    NM_CUDNN(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, s.n, s.f, s.oh(), s.ow()));
    NM_CUDNN(cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, s.f, s.c, s.kh, s.kw));
    NM_CUDNN(cudnnSetConvolution2dDescriptor(conv, s.pad, s.pad, s.stride, s.stride, 1, 1, CUDNN_CROSS_CORRELATION,
                                             CUDNN_DATA_FLOAT));
    NM_CUDNN(cudnnSetConvolutionMathType(conv, ctx.options().precision == Precision::Tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
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
}  // namespace

bool cudnn_available() { return true; }

size_t cudnn_conv_workspace(const Context& ctx, const Conv2dShape& s) {
  const Descriptors d(ctx, s);
  const size_t masked = s.relu ? static_cast<size_t>(s.n) * s.f * s.oh() * s.ow() : 0;  // dy masked by the ReLU
  return (choose(ctx, s, d).workspace_bytes + sizeof(float) - 1) / sizeof(float) + masked;
}

void cudnn_conv_forward(const Context& ctx, const Conv2dShape& s, const float* x, const float* w, const float* b, float* y, float* work) {
  const Descriptors d(ctx, s);
  const Algorithms a = choose(ctx, s, d);
  const float one = 1.0f, zero = 0.0f;
  NM_CUDNN(cudnnConvolutionForward(cudnn(ctx).handle, &one, d.x, x, d.w, w, d.conv, a.fwd, work, a.workspace_bytes, &zero, d.y,
                                   y));
  if (b) bias_add_forward(ctx, s.n, s.f, s.oh() * s.ow(), b, y);
  if (s.relu) relu_forward(ctx, static_cast<size_t>(s.n) * s.f * s.oh() * s.ow(), y, y);
}

void cudnn_conv_backward(const Context& ctx, const Conv2dShape& s, const float* x, const float* w, const float* y, const float* dy,
                         float* dx, float* dw, float* db, GradMode mode, float* work) {
  const Descriptors d(ctx, s);
  const Algorithms a = choose(ctx, s, d);
  const size_t ws_floats = (a.workspace_bytes + sizeof(float) - 1) / sizeof(float);
  const float* g = dy;
  if (s.relu) {
    const size_t count = static_cast<size_t>(s.n) * s.f * s.oh() * s.ow();
    float* masked = work + ws_floats;
    relu_mask<<<blocks_for(count), 256, 0, stream(ctx)>>>(count, y, dy, masked);
    NM_AFTER_LAUNCH(ctx, "cudnn relu mask");
    g = masked;
  }
  const float one = 1.0f, beta = mode == GradMode::Accumulate ? 1.0f : 0.0f;
  if (dx)
    NM_CUDNN(cudnnConvolutionBackwardData(cudnn(ctx).handle, &one, d.w, w, d.y, g, d.conv, a.data, work, a.workspace_bytes, &beta,
                                          d.x, dx));
  if (dw)
    NM_CUDNN(cudnnConvolutionBackwardFilter(cudnn(ctx).handle, &one, d.x, x, d.y, g, d.conv, a.filter, work,
                                            a.workspace_bytes, &beta, d.w, dw));
  if (db) bias_backward(ctx, s.n, s.f, s.oh() * s.ow(), g, db, mode);
}

}  // namespace nullmark::cuda
