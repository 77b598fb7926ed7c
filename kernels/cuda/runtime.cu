#include <cuda_runtime.h>

#include <cstdlib>
#include <cstring>

#include "common/error.h"
#include "kernels/cuda/runtime.h"

namespace nullmark::cuda {

namespace {
cudaStream_t g_stream = nullptr;  // legacy default stream until a run sets its own
bool g_debug_sync = [] {
  const char* v = std::getenv("NULLMARK_CUDA_SYNC");
  return v && std::strcmp(v, "0") != 0 && *v;
}();
bool g_tf32 = false;
KernelImpl g_conv_native = KernelImpl::Native;
ConvTiling g_conv_tiling = ConvTiling::Measured;
// NULLMARK_CONV_TILING=model takes the model's tilings whatever a run sets (bench/gpu_validate.sh
// runs compute-sanitizer so, keeping the timing launches out of its budget).
const bool g_conv_tiling_model_env = [] {
  const char* v = std::getenv("NULLMARK_CONV_TILING");
  return v && std::strcmp(v, "model") == 0;
}();
}  // namespace

void check_status(int status, const char* what, const char* file, int line) {
  if (status == 0) return;
  const auto err = static_cast<cudaError_t>(status);
  throw fail(file, ":", line, ": ", what, ": ", cudaGetErrorName(err), " (", cudaGetErrorString(err), ")");
}

void* current_stream() { return g_stream; }
void set_current_stream(void* s) { g_stream = static_cast<cudaStream_t>(s); }
void* create_stream() {
  cudaStream_t s = nullptr;
  NM_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  return s;
}
void destroy_stream(void* s) {
  if (s) cudaStreamDestroy(static_cast<cudaStream_t>(s));
}
void synchronize() { NM_CUDA_CHECK(cudaStreamSynchronize(g_stream)); }

void set_debug_sync(bool on) { g_debug_sync = on; }
bool debug_sync() { return g_debug_sync; }

void after_launch(const char* kernel, const char* file, int line) {
  check_status(static_cast<int>(cudaGetLastError()), kernel, file, line);
  if (g_debug_sync) check_status(static_cast<int>(cudaStreamSynchronize(g_stream)), kernel, file, line);
}

void* alloc_bytes(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  const cudaError_t err = cudaMalloc(&p, bytes);
  if (err != cudaSuccess) {
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    cudaGetLastError();
    throw fail("cannot allocate ", bytes >> 20, " MiB on the GPU (", free_b >> 20, " MiB of ", total_b >> 20,
               " MiB free): ", cudaGetErrorString(err));
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

void copy_to_device(void* dst, const void* src, size_t bytes) {
  if (!bytes) return;
  NM_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, g_stream));
  NM_CUDA_CHECK(cudaStreamSynchronize(g_stream));
}
void copy_to_host(void* dst, const void* src, size_t bytes) {
  if (!bytes) return;
  NM_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, g_stream));
  NM_CUDA_CHECK(cudaStreamSynchronize(g_stream));
}
void copy_device(void* dst, const void* src, size_t bytes) {
  if (!bytes) return;
  NM_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, g_stream));
}
void copy_to_device_async(void* dst, const void* src, size_t bytes) {
  if (!bytes) return;
  NM_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, g_stream));
}
void zero(void* p, size_t bytes) {
  if (!bytes) return;
  NM_CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, g_stream));
}

void* create_event() {
  cudaEvent_t e = nullptr;
  NM_CUDA_CHECK(cudaEventCreate(&e));
  return e;
}
void destroy_event(void* e) {
  if (e) cudaEventDestroy(static_cast<cudaEvent_t>(e));
}
void record_event(void* e) { NM_CUDA_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(e), g_stream)); }
void wait_event(void* e) { NM_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(e))); }
void stream_wait_event(void* s, void* e) {
  NM_CUDA_CHECK(cudaStreamWaitEvent(static_cast<cudaStream_t>(s), static_cast<cudaEvent_t>(e), 0));
}
float elapsed_ms(void* start, void* stop) {
  NM_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(stop)));
  float ms = 0;
  NM_CUDA_CHECK(cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(start), static_cast<cudaEvent_t>(stop)));
  return ms;
}

namespace {
const StepScalars* g_scalars = nullptr;
}
void set_step_scalars(const StepScalars* device_copy) { g_scalars = device_copy; }
const StepScalars* step_scalars() { return g_scalars; }

void begin_capture() {
  // The legacy default stream cannot be captured: a caller that never made a stream of its own
  // (ComputeOptions::activate does) gets one here, after the work queued so far has finished.
  if (!g_stream) {
    NM_CUDA_CHECK(cudaDeviceSynchronize());
    g_stream = static_cast<cudaStream_t>(create_stream());
  }
  NM_CUDA_CHECK(cudaStreamBeginCapture(g_stream, cudaStreamCaptureModeThreadLocal));
}
void* end_capture() {
  cudaGraph_t graph = nullptr;
  NM_CUDA_CHECK(cudaStreamEndCapture(g_stream, &graph));
  cudaGraphExec_t exec = nullptr;
  const cudaError_t err = cudaGraphInstantiate(&exec, graph, 0);
  cudaGraphDestroy(graph);
  NM_CUDA_CHECK(err);
  return exec;
}
void launch_graph(void* exec) { NM_CUDA_CHECK(cudaGraphLaunch(static_cast<cudaGraphExec_t>(exec), g_stream)); }
void destroy_graph(void* exec) {
  if (exec) cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(exec));
}

void set_allow_tf32(bool on) { g_tf32 = on; }
bool allow_tf32() { return g_tf32; }
void set_conv_native_form(KernelImpl form) {
  NM_CHECK(form != KernelImpl::Library, "the native convolution's form cannot be the library");
  g_conv_native = form;
}
KernelImpl conv_native_form() { return g_conv_native; }
void set_conv_tiling(ConvTiling tiling) { g_conv_tiling = tiling; }
ConvTiling conv_tiling() { return g_conv_tiling_model_env ? ConvTiling::Model : g_conv_tiling; }
bool stream_capturing() {
  if (!g_stream) return false;  // begin_capture never captures the legacy default stream
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  NM_CUDA_CHECK(cudaStreamIsCapturing(g_stream, &status));
  return status != cudaStreamCaptureStatusNone;
}

}  // namespace nullmark::cuda
