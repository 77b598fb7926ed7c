// Convolution on the GPU as three implicit GEMMs through kernels/cuda/gemm.cuh (CUDA cores in fp32,
// tensor cores in tf32 and bf16, where they are the only native form); the lowered input (im2col) is
// never materialised: the B operand computes its element from the image.
//   forward          y[f, (i,p)]     = sum_k  W[f, k] * col[k, (i,p)]           M=F, N=N*OH*OW, K=C*KH*KW
//   input gradient   dx[c, (i,q)]    = sum_(f,kh,kw) W[f, c, kh, kw] * g[...]   M=C, N=N*H*W,   K=F*KH*KW
//   weight gradient  dW[f, k]        = sum_(i,p) g[f, (i,p)] * col[k, (i,p)]    M=F, N=C*KH*KW, K=N*OH*OW
// g is dy masked by the fused ReLU (y > 0). The weight gradient's long K is split across blocks;
// each slice writes its partial product to the workspace and one pass adds the slices in order, so
// the result is deterministic. The bias gradient rides along as one more column of that product
// (B = 1 there): the same split, no pass of its own over dy. In bf16 it therefore sums the gradient
// rounded to bfloat16, as the weight gradient does.
#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "common/error.h"
#include "kernels/bias.h"
#include "kernels/conv2d.h"
#include "kernels/cuda/conv_cudnn.h"
#include "kernels/cuda/conv_direct.h"
#include "kernels/cuda/conv_chunked_tuning.h"
#include "kernels/cuda/conv_direct_chunked.h"
#include "kernels/cuda/fast_div.h"
#include "kernels/cuda/gemm.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/timing.h"

namespace nullmark::cuda {

namespace {
// The shape, and a FastDiv for each divisor the operands split their indices by.
struct Geometry {
  int n, c, h, w, f, kh, kw, stride, pad, oh, ow;
  FastDiv taps, tap_w, out_plane, out_w, in_plane, in_w, by_stride;  // kh*kw, kw, oh*ow, ow, h*w, w, stride
  explicit Geometry(const Conv2dShape& s)
      : n(s.n), c(s.c), h(s.h), w(s.w), f(s.f), kh(s.kh), kw(s.kw), stride(s.stride), pad(s.pad), oh(s.oh()),
        ow(s.ow()), taps(s.kh * s.kw), tap_w(s.kw), out_plane(s.oh() * s.ow()), out_w(s.ow()), in_plane(s.h * s.w),
        in_w(s.w), by_stride(s.stride) {}
};

// col[k, (i,p)]: k = (c, kh, kw), p = (oh, ow); zero in the padding.
struct Lowered {
  const float* x;
  Geometry g;
  __device__ float at(int k, int col) const {
    const int ch = g.taps.div(k), r = k - ch * g.kh * g.kw, ki = g.tap_w.div(r), kj = r - ki * g.kw;
    const int img = g.out_plane.div(col), p = col - img * g.oh * g.ow, oy = g.out_w.div(p), ox = p - oy * g.ow;
    const int iy = oy * g.stride - g.pad + ki, ix = ox * g.stride - g.pad + kj;
    if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) return 0.0f;
    return x[((size_t)(img * g.c + ch) * g.h + iy) * g.w + ix];
  }
};
struct LoweredAsB {  // B(k, n) = col[k, n]
  Lowered l;
  __device__ float operator()(int k, int n) const { return l.at(k, n); }
};
struct LoweredTransposed {  // B(k, n) = col[n, k]: rows of B run over (i,p), columns over k
  Lowered l;
  int rows;  // C*KH*KW; column `rows`, when the product has it, is all ones: the bias gradient
  __device__ float operator()(int k, int n) const { return n == rows ? 1.0f : l.at(n, k); }
};
// g[f, (i,p)] = dy masked by the ReLU.
struct MaskedGrad {
  const float* dy;
  const float* y;  // null without a fused ReLU
  Geometry g;
  __device__ float at(int f, int col) const {
    const int plane = g.oh * g.ow, img = g.out_plane.div(col), p = col - img * plane;
    const size_t i = ((size_t)img * g.f + f) * plane + p;
    return (y && y[i] <= 0.0f) ? 0.0f : dy[i];
  }
  __device__ float operator()(int f, int col) const { return at(f, col); }
};
// B(k = (f, kh, kw), n = (i, iy, ix)) for the input gradient: the output position that input pixel
// met through kernel tap (kh, kw), if any.
struct ScatteredGrad {
  MaskedGrad m;
  __device__ float operator()(int k, int n) const {
    const Geometry& g = m.g;
    const int f = g.taps.div(k), r = k - f * g.kh * g.kw, ki = g.tap_w.div(r), kj = r - ki * g.kw;
    const int img = g.in_plane.div(n), q = n - img * g.h * g.w, iy = g.in_w.div(q), ix = q - iy * g.w;
    const int ty = iy + g.pad - ki, tx = ix + g.pad - kj;
    if (ty < 0 || tx < 0) return 0.0f;
    const int oy = g.by_stride.div(ty), ox = g.by_stride.div(tx);
    if (oy * g.stride != ty || ox * g.stride != tx) return 0.0f;
    if (oy >= g.oh || ox >= g.ow) return 0.0f;
    return m.at(f, img * g.oh * g.ow + oy * g.ow + ox);
  }
};
// A(m = c, k = (f, kh, kw)) = W[f, c, kh, kw].
struct WeightsByChannel {
  const float* w;
  Geometry g;
  __device__ float operator()(int c, int k) const {
    const int ksz = g.kh * g.kw, f = g.taps.div(k), r = k - f * ksz;
    return w[((size_t)f * g.c + c) * ksz + r];
  }
};

struct StoreConv {  // y[i, f, p] = acc + b[f], optional ReLU
  float* y;
  const float* b;
  bool relu;
  int f;
  FastDiv plane;
  __device__ void operator()(int m, int col, float acc, int) const {
    const int size = static_cast<int>(plane.d), img = plane.div(col), p = col - img * size;
    float v = acc + (b ? b[m] : 0.0f);
    y[((size_t)img * f + m) * size + p] = relu ? fmaxf(v, 0.0f) : v;
  }
};
struct StoreInputGrad {  // dx[i, c, q] (+)= acc
  float* dx;
  int c;
  FastDiv plane;
  bool accumulate;
  __device__ void operator()(int m, int col, float acc, int) const {
    const int size = static_cast<int>(plane.d), img = plane.div(col), q = col - img * size;
    float& out = dx[((size_t)img * c + m) * size + q];
    out = (accumulate ? out : 0.0f) + acc;
  }
};
struct StorePartial {  // work[slice][m][n] = acc
  float* work;
  int M, N;
  __device__ void operator()(int m, int n, float acc, int slice) const { work[((size_t)slice * M + m) * N + n] = acc; }
};

// db[f] = sum of the masked gradient over images and positions; one block per filter (only when no
// weight gradient is asked for, which otherwise carries it).
__global__ void conv_bias_grad(MaskedGrad m, float* db, bool accumulate) {
  __shared__ float part[256];
  const int f = blockIdx.x, cols = m.g.n * m.g.oh * m.g.ow;
  float s = 0.0f;
  for (int col = threadIdx.x; col < cols; col += blockDim.x) s += m.at(f, col);
  part[threadIdx.x] = s;
  __syncthreads();
  for (int w = blockDim.x / 2; w > 0; w /= 2) {
    if (threadIdx.x < w) part[threadIdx.x] += part[threadIdx.x + w];
    __syncthreads();
  }
  if (threadIdx.x == 0) db[f] = (accumulate ? db[f] : 0.0f) + part[0];
}

// Slices of the weight gradient's K: enough blocks to fill the card, each slice at least 256 long.
// The product has col_rows + 1 columns at most (the bias column).
int weight_grad_slices(const Conv2dShape& s) {
  const long K = static_cast<long>(s.n) * s.oh() * s.ow();
  const long tiles = ((s.f + kTileM - 1) / kTileM) * ((static_cast<long>(s.col_rows()) + 1 + kTileN - 1) / kTileN);
  long slices = std::max(1L, kFillBlocks / std::max(1L, tiles));
  return static_cast<int>(std::min(slices, std::max(1L, K / 256)));
}

// Shared memory per block under which `native` takes the direct gradient kernels: two blocks still
// fit an SM of an A100 (164 KiB) or an H100 / H200 (228 KiB). bench_kernels_cuda times both paths.
constexpr size_t kNativeDirectBytes = 80 * 1024;

// Whether `native` takes the direct kernel for a product, from its plan: the block's shared memory and
// whether it keeps the block's threads busy (the context's conv_form can pin either form).
bool native_direct(const Context& ctx, size_t smem_floats, bool busy) {
  switch (ctx.options().conv_form) {
    case KernelImpl::Gemm: return false;
    case KernelImpl::Direct: return conv2d_direct_fits(smem_floats, SIZE_MAX);
    case KernelImpl::Auto:
    case KernelImpl::Native:
    case KernelImpl::Library: break;  // not a native form (a Context refuses it)
  }
  return busy && conv2d_direct_fits(smem_floats, kNativeDirectBytes);
}

// The context's chunked-forward plans: plans by sizes, fused ReLU and tiling (all zero: the model's),
// and the tilings measured so far. Locked, for a context shared by runs on several threads.
struct ChunkedPlans {
  ChunkTilingCache tilings;
  std::map<std::pair<ConvSizeKey, std::array<int, 4>>, DirectFwdChunked> plans;
  std::mutex mutex;
};

// The chunked forward's plan for shape s where `impl` takes the chunked form (it keeps a block busy
// and, for `native`, fits its shared memory), else nothing. Its tiling is, as the context's
// conv_tiling asks, the one measured on the card the first time the shape runs outside a graph
// capture (each busy tiling within the form's shared memory launched on the real operands: every one
// writes the same y), else the model's. Plans are made once per shape and tiling and kept in the
// context: making one counts the shared-memory wavefronts of both warp layouts, tens of
// microseconds, too much for every call.
std::optional<DirectFwdChunked> chunked_plan(const Context& ctx, const Conv2dShape& s, KernelImpl impl,
                                             const float* x, const float* w, const float* b, float* y) {
  auto& slot = ctx.caches().conv_plans;
  if (!slot) slot = std::make_shared<ChunkedPlans>();
  ChunkedPlans& cache = *static_cast<ChunkedPlans*>(slot.get());
  const std::lock_guard<std::mutex> lock(cache.mutex);
  auto plan = [&](const ChunkTiling* t) -> const DirectFwdChunked& {  // null: the model's tiling
    const auto key = std::make_pair(conv_size_key(s), std::array<int, 4>{s.relu ? 1 : 0, t ? t->fgroups : 0,
                                                                         t ? t->slices : 0, t ? t->imgs : 0});
    auto it = cache.plans.find(key);
    if (it == cache.plans.end())
      it = cache.plans
               .emplace(key, t ? DirectFwdChunked::plan(s, *t) : DirectFwdChunked::plan(s))
               .first;
    return it->second;
  };
  const DirectFwdChunked& model = plan(nullptr);
  if (!model.busy() || (impl != KernelImpl::Direct && !native_direct(ctx, model.smem_floats(), true)))
    return std::nullopt;
  const bool any_size = impl == KernelImpl::Direct || ctx.options().conv_form == KernelImpl::Direct;
  const size_t max_bytes = any_size ? SIZE_MAX : kNativeDirectBytes;
  auto with_operands = [&](DirectFwdChunked d) {
    d.x = x, d.wt = w, d.b = b, d.y = y;
    return d;
  };
  if (const ChunkTiling* kept = cache.tilings.find(s)) return with_operands(plan(kept));
  const bool measure = ctx.options().conv_tiling == ConvTiling::Measured && !ctx.capturing();
  if (!measure) return with_operands(model);
  const ChunkTiling best = cache.tilings.pick(s, true, [&](const ChunkTiling& t) {
    const DirectFwdChunked d = with_operands(plan(&t));
    if (!conv2d_direct_fits(d.smem_floats(), max_bytes)) return std::numeric_limits<double>::infinity();
    return time_ms(ctx, [&] { conv2d_direct_forward_chunked(ctx, d); }, 3);
  });
  return with_operands(plan(&best));
}

size_t gemm_workspace(const Conv2dShape& s) {
  return static_cast<size_t>(weight_grad_slices(s)) * s.f * (s.col_rows() + 1);
}
}  // namespace

size_t conv2d_workspace(const Context& ctx, const Conv2dShape& s, KernelImpl impl) {
  switch (impl) {
    case KernelImpl::Library: return cudnn_conv_workspace(ctx, s);
    case KernelImpl::Gemm: return gemm_workspace(s);
    case KernelImpl::Direct: return conv2d_direct_workspace(s);
    case KernelImpl::Auto: throw fail("conv2d_workspace: impl auto is a layer's choice still to be made");
    case KernelImpl::Native: break;
  }
  return std::max(gemm_workspace(s), conv2d_direct_workspace(s));
}

void conv2d_forward(const Context& ctx, const Conv2dShape& s, const float* x, const float* w, const float* b, float* y, float* work,
                    KernelImpl impl) {
  NM_CHECK(impl != KernelImpl::Auto, "conv2d_forward: impl auto is a layer's choice still to be made");
  if (impl == KernelImpl::Library) {
    cudnn_conv_forward(ctx, s, x, w, b, y, work);
    return;
  }
  NM_CHECK(impl != KernelImpl::Direct || ctx.options().precision == Precision::Fp32, "conv2d_forward: the direct form has "
           "float32 kernels only, and the context's precision is ", precision_name(ctx.options().precision));
  if (impl != KernelImpl::Gemm && ctx.options().precision == Precision::Fp32) {  // Native or Direct: the plans decide
    // The channel-chunked form wherever it keeps a block busy: on an H100 it took 0.45-0.82 of the
    // bank-resident form's time on every layer of the digit and object models (docs/perf.md); the
    // bank-resident form stays for images of more than 1024 output pixels.
    if (const std::optional<DirectFwdChunked> chunked = chunked_plan(ctx, s, impl, x, w, b, y)) {
      conv2d_direct_forward_chunked(ctx, *chunked);
      return;
    }
    DirectFwd d = DirectFwd::plan(s);
    if (impl == KernelImpl::Direct || native_direct(ctx, d.smem_floats(), d.busy())) {
      d.x = x, d.wt = w, d.b = b, d.y = y;
      conv2d_direct_forward(ctx, d);
      return;
    }
  }
  const Geometry g(s);
  const int M = s.f, N = s.n * s.oh() * s.ow(), K = static_cast<int>(s.col_rows());
  launch_gemm(ctx, M, N, K, K, 1, RowMajor{w, K, false}, LoweredAsB{Lowered{x, g}},
              StoreConv{y, b, s.relu, s.f, g.out_plane}, "conv2d_forward");
}

void conv2d_backward(const Context& ctx, const Conv2dShape& s, const float* x, const float* w, const float* y, const float* dy, float* dx,
                     float* dw, float* db, GradMode mode, float* work, KernelImpl impl) {
  NM_CHECK(impl != KernelImpl::Auto, "conv2d_backward: impl auto is a layer's choice still to be made");
  if (impl == KernelImpl::Library) {
    cudnn_conv_backward(ctx, s, x, w, y, dy, dx, dw, db, mode, work);
    return;
  }
  NM_CHECK(impl != KernelImpl::Direct || ctx.options().precision == Precision::Fp32, "conv2d_backward: the direct form "
           "has float32 kernels only, and the context's precision is ", precision_name(ctx.options().precision));
  // In tf32 and bf16 the native kernels are the tensor-core GEMMs (kernels/cuda/gemm.cuh).
  const bool native = impl == KernelImpl::Native && ctx.options().precision == Precision::Fp32,
             direct = impl == KernelImpl::Direct;
  const Geometry g(s);
  const bool acc = mode == GradMode::Accumulate;
  const MaskedGrad grad{dy, s.relu ? y : nullptr, g};
  DirectDgrad dd = dx && (direct || native) ? DirectDgrad::plan(s, acc) : DirectDgrad{};
  if (dx && (direct || (native && native_direct(ctx, dd.smem_floats(), dd.busy())))) {
    dd.wt = w, dd.dy = dy, dd.y = s.relu ? y : nullptr, dd.dx = dx;
    conv2d_direct_input_grad(ctx, dd);
  } else if (dx) {
    const int M = s.c, N = s.n * s.h * s.w, K = s.f * s.kh * s.kw;
    launch_gemm(ctx, M, N, K, K, 1, WeightsByChannel{w, g}, ScatteredGrad{grad}, StoreInputGrad{dx, s.c, g.in_plane, acc},
                "conv2d_backward_data");
  }
  // A bias gradient without the weight gradient (no layer asks for one) goes the same way: the weight
  // columns are computed along and dropped.
  DirectWgrad wg = (dw || db) && (direct || native) ? DirectWgrad::plan(s, db != nullptr) : DirectWgrad{};
  if ((dw || db) && (direct || (native && native_direct(ctx, wg.smem_floats(), wg.busy())))) {
    wg.x = x, wg.dy = dy, wg.y = s.relu ? y : nullptr, wg.partial = work;
    conv2d_direct_weight_grad(ctx, wg, dw, db, mode);
  } else if (dw) {
    const int M = s.f, N = static_cast<int>(s.col_rows()), cols = N + (db ? 1 : 0), K = s.n * s.oh() * s.ow();
    const int slices = weight_grad_slices(s);
    const int per = ((K + slices - 1) / slices + kTileK - 1) / kTileK * kTileK;
    launch_gemm(ctx, M, cols, K, per, slices, grad, LoweredTransposed{Lowered{x, g}, N}, StorePartial{work, M, cols},
                "conv2d_backward_weights");
    conv2d_sum_weight_partials(ctx, M, cols, N, slices, work, dw, db, mode);
  } else if (db) {
    conv_bias_grad<<<s.f, 256, 0, stream(ctx)>>>(grad, db, acc);
    NM_AFTER_LAUNCH(ctx, "conv2d_backward_bias");
  }
}

}  // namespace nullmark::cuda
