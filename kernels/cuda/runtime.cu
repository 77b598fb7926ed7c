#include <cuda_runtime.h>

#include <cstdlib>
#include <cstring>

#include "common/error.h"
#include "kernels/cuda/device.h"
#include "kernels/cuda/runtime.h"

namespace nullmark::cuda {

namespace {
cudaStream_t as_stream(const Context& ctx) { return static_cast<cudaStream_t>(ctx.stream()); }
bool env_is(const char* name, const char* value) {
  const char* v = std::getenv(name);
  if (!v) return false;
  return value ? std::strcmp(v, value) == 0 : (*v && std::strcmp(v, "0") != 0);
}
}  // namespace

void check_status(int status, const char* what, const char* file, int line) {
  if (status == 0) return;
  const auto err = static_cast<cudaError_t>(status);
  throw fail(file, ":", line, ": ", what, ": ", cudaGetErrorName(err), " (", cudaGetErrorString(err), ")");
}

ContextOptions ContextOptions::from_environment() {
  ContextOptions o;
  o.debug_sync = env_is("NULLMARK_CUDA_SYNC", nullptr);
  if (env_is("NULLMARK_CONV_TILING", "model")) o.conv_tiling = ConvTiling::Model;
  return o;
}

Context::Context(const ContextOptions& options) : options_(options) {
  NM_CHECK(options.conv_form != KernelImpl::Library && options.conv_form != KernelImpl::Auto,
           "the native convolution's form is native, gemm or direct");
  NM_CHECK(options.precision == Precision::Fp32 || options.conv_form != KernelImpl::Direct,
           "cuda.precision ", precision_name(options.precision),
           " runs the native convolution as a tensor-core GEMM; the direct form has float32 kernels only");
  if (options.precision != Precision::Fp32) {  // fp32 runs on every card: no device query at start-up
    const DeviceInfo card = query_device();
    NM_CHECK(card.available, card.description);
    const std::string refusal = precision_refusal(options.precision, card.name, card.major, card.minor);
    NM_CHECK(refusal.empty(), refusal);
  }
  cudaStream_t s = nullptr;
  NM_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  stream_ = s;
}

Context::~Context() {
  cudaStreamSynchronize(as_stream(*this));  // no throwing from a destructor; a fault surfaced earlier
  caches_ = Caches{};                        // handles and workspaces, before their stream goes
  cudaStreamDestroy(as_stream(*this));
}

void Context::synchronize() const { NM_CUDA_CHECK(cudaStreamSynchronize(as_stream(*this))); }

bool Context::capturing() const {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  NM_CUDA_CHECK(cudaStreamIsCapturing(as_stream(*this), &status));
  return status != cudaStreamCaptureStatusNone;
}

void after_launch(const Context& ctx, const char* kernel, const char* file, int line) {
  check_status(static_cast<int>(cudaGetLastError()), kernel, file, line);
  if (ctx.options().debug_sync)
    check_status(static_cast<int>(cudaStreamSynchronize(as_stream(ctx))), kernel, file, line);
}

void* alloc_bytes(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  const cudaError_t err = cudaMalloc(&p, bytes);
  if (err != cudaSuccess) {
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    cudaGetLastError();
    if (err != cudaErrorMemoryAllocation)
      throw fail("cannot allocate ", bytes >> 20, " MiB on the GPU: ", cudaGetErrorString(err));
    throw OutOfDeviceMemory(fail("cannot allocate ", (bytes + (1 << 20) - 1) >> 20, " MiB on ", query_device().name, " (",
                                 free_b >> 20, " MiB of ", total_b >> 20, " MiB free)")
                                .what());
  }
  return p;
}
void free_bytes(void* p) {
  if (p) cudaFree(p);
}
void* alloc_pinned(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  NM_CUDA_CHECK(cudaMallocHost(&p, bytes));
  return p;
}
void free_pinned(void* p) {
  if (p) cudaFreeHost(p);
}

void copy_to_host(const Context& ctx, void* dst, const void* src, size_t bytes) {
  if (!bytes) return;
  NM_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, as_stream(ctx)));
  ctx.synchronize();
}
void copy_device(const Context& ctx, void* dst, const void* src, size_t bytes) {
  if (!bytes) return;
  NM_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, as_stream(ctx)));
}
void copy_to_device_async(const Context& ctx, void* dst, const void* src, size_t bytes) {
  if (!bytes) return;
  NM_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, as_stream(ctx)));
}

// cudaMemcpy and cudaMemset go to the legacy default stream, which does not wait for non-blocking
// streams: the device-wide synchronisation first is what orders them after every context's work.
void sync_upload(void* dst, const void* src, size_t bytes) {
  if (!bytes) return;
  NM_CUDA_CHECK(cudaDeviceSynchronize());
  NM_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
}
void sync_download(void* dst, const void* src, size_t bytes) {
  if (!bytes) return;
  NM_CUDA_CHECK(cudaDeviceSynchronize());
  NM_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
}
void sync_zero(void* p, size_t bytes) {
  if (!bytes) return;
  NM_CUDA_CHECK(cudaDeviceSynchronize());
  NM_CUDA_CHECK(cudaMemset(p, 0, bytes));
  NM_CUDA_CHECK(cudaDeviceSynchronize());
}

void* create_event() {
  cudaEvent_t e = nullptr;
  NM_CUDA_CHECK(cudaEventCreate(&e));
  return e;
}
void destroy_event(void* e) {
  if (e) cudaEventDestroy(static_cast<cudaEvent_t>(e));
}
void record_event(const Context& ctx, void* e) {
  NM_CUDA_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(e), as_stream(ctx)));
}
void wait_event(void* e) { NM_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(e))); }
float elapsed_ms(void* start, void* stop) {
  NM_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(stop)));
  float ms = 0;
  NM_CUDA_CHECK(cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(start), static_cast<cudaEvent_t>(stop)));
  return ms;
}

void begin_capture(const Context& ctx) {
  NM_CUDA_CHECK(cudaStreamBeginCapture(as_stream(ctx), cudaStreamCaptureModeThreadLocal));
}
void* end_capture(const Context& ctx) {
  cudaGraph_t graph = nullptr;
  NM_CUDA_CHECK(cudaStreamEndCapture(as_stream(ctx), &graph));
  cudaGraphExec_t exec = nullptr;
  const cudaError_t err = cudaGraphInstantiate(&exec, graph, 0);
  cudaGraphDestroy(graph);
  NM_CUDA_CHECK(err);
  return exec;
}
void launch_graph(const Context& ctx, void* exec) {
  NM_CUDA_CHECK(cudaGraphLaunch(static_cast<cudaGraphExec_t>(exec), as_stream(ctx)));
}
void destroy_graph(void* exec) {
  if (exec) cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(exec));
}

}  // namespace nullmark::cuda
