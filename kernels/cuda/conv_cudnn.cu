#include <cudnn.h>

#include <algorithm>

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

cudnnHandle_t handle() {
  static cudnnHandle_t h = [] {
    cudnnHandle_t made = nullptr;
    NM_CUDNN(cudnnCreate(&made));
    return made;
  }();
  NM_CUDNN(cudnnSetStream(h, stream()));
  return h;
}

// Descriptors of one convolution shape, created and destroyed around each call (cheap next to the
// convolution itself at the shapes nullmark trains).
struct Descriptors {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  explicit Descriptors(const Conv2dShape& s) {
    NM_CUDNN(cudnnCreateTensorDescriptor(&x));
    NM_CUDNN(cudnnCreateTensorDescriptor(&y));
    NM_CUDNN(cudnnCreateFilterDescriptor(&w));
    NM_CUDNN(cudnnCreateConvolutionDescriptor(&conv));
    NM_CUDNN(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, s.n, s.c, s.h, s.w));
    NM_CUDNN(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, s.n, s.f, s.oh(), s.ow()));
    NM_CUDNN(cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, s.f, s.c, s.kh, s.kw));
    NM_CUDNN(cudnnSetConvolution2dDescriptor(conv, s.pad, s.pad, s.stride, s.stride, 1, 1, CUDNN_CROSS_CORRELATION,
                                             CUDNN_DATA_FLOAT));
    NM_CUDNN(cudnnSetConvolutionMathType(conv, allow_tf32() ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
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

// The heuristics' first choice whose workspace fits, for each direction.
Algorithms choose(const Descriptors& d) {
  cudnnHandle_t h = handle();
  Algorithms a{};
  int got = 0;
  cudnnConvolutionFwdAlgoPerf_t f[8];
  NM_CUDNN(cudnnGetConvolutionForwardAlgorithm_v7(h, d.x, d.w, d.conv, d.y, 8, &got, f));
  a.fwd = f[0].algo;
  a.workspace_bytes = std::max(a.workspace_bytes, f[0].memory);
  cudnnConvolutionBwdDataAlgoPerf_t b[8];
  NM_CUDNN(cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w, d.y, d.conv, d.x, 8, &got, b));
  a.data = b[0].algo;
  a.workspace_bytes = std::max(a.workspace_bytes, b[0].memory);
  cudnnConvolutionBwdFilterAlgoPerf_t w[8];
  NM_CUDNN(cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d.x, d.y, d.conv, d.w, 8, &got, w));
  a.filter = w[0].algo;
  a.workspace_bytes = std::max(a.workspace_bytes, w[0].memory);
  return a;
}

__global__ void relu_mask(size_t count, const float* y, const float* dy, float* g) {
  NM_GRID_LOOP(i, count) g[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}
}  // namespace

size_t cudnn_conv_workspace(const Conv2dShape& s) {
  const Descriptors d(s);
  const size_t masked = s.relu ? static_cast<size_t>(s.n) * s.f * s.oh() * s.ow() : 0;  // dy masked by the ReLU
  return (choose(d).workspace_bytes + sizeof(float) - 1) / sizeof(float) + masked;
}

void cudnn_conv_forward(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y, float* work) {
  const Descriptors d(s);
  const Algorithms a = choose(d);
  const float one = 1.0f, zero = 0.0f;
  NM_CUDNN(cudnnConvolutionForward(handle(), &one, d.x, x, d.w, w, d.conv, a.fwd, work, a.workspace_bytes, &zero, d.y,
                                   y));
  if (b) bias_add_forward(s.n, s.f, s.oh() * s.ow(), b, y);
  if (s.relu) relu_forward(static_cast<size_t>(s.n) * s.f * s.oh() * s.ow(), y, y);
}

void cudnn_conv_backward(const Conv2dShape& s, const float* x, const float* w, const float* y, const float* dy,
                         float* dx, float* dw, float* db, GradMode mode, float* work) {
  const Descriptors d(s);
  const Algorithms a = choose(d);
  const size_t ws_floats = (a.workspace_bytes + sizeof(float) - 1) / sizeof(float);
  const float* g = dy;
  if (s.relu) {
    const size_t count = static_cast<size_t>(s.n) * s.f * s.oh() * s.ow();
    float* masked = work + ws_floats;
    relu_mask<<<blocks_for(count), 256, 0, stream()>>>(count, y, dy, masked);
    NM_AFTER_LAUNCH("cudnn relu mask");
    g = masked;
  }
  const float one = 1.0f, beta = mode == GradMode::Accumulate ? 1.0f : 0.0f;
  if (dx)
    NM_CUDNN(cudnnConvolutionBackwardData(handle(), &one, d.w, w, d.y, g, d.conv, a.data, work, a.workspace_bytes, &beta,
                                          d.x, dx));
  NM_CUDNN(cudnnConvolutionBackwardFilter(handle(), &one, d.x, x, d.y, g, d.conv, a.filter, work, a.workspace_bytes,
                                          &beta, d.w, dw));
  if (db) bias_backward(s.n, s.f, s.oh() * s.ow(), g, db, mode);
}

}  // namespace nullmark::cuda
