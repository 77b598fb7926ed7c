// The CUDA runtime as nullmark uses it, behind a header that needs no CUDA includes: device memory,
// explicit host<->device copies, the run's stream, and errors turned into nullmark::Error with the
// file and line of the failing call. Every kernel launch goes through after_launch(), which checks
// the launch and, when debug synchronisation is on (NULLMARK_CUDA_SYNC=1 or set_debug_sync), waits
// for the kernel so an asynchronous fault is reported at the launch that caused it.
//
// Built without the CUDA backend, every function here throws "built without the CUDA backend".
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/kernel_impl.h"

namespace nullmark::cuda {

// Throws nullmark::Error("file:line: what: <CUDA error string>") unless status is 0 (cudaSuccess).
void check_status(int status, const char* what, const char* file, int line);
#define NM_CUDA_CHECK(call) ::nullmark::cuda::check_status(static_cast<int>(call), #call, __FILE__, __LINE__)

// The stream every nullmark kernel and copy is issued on (an opaque cudaStream_t). A run creates
// one with create_stream() and makes it current; the default is the legacy default stream.
void* current_stream();
void set_current_stream(void* stream);
void* create_stream();
void destroy_stream(void* stream);
void synchronize();  // waits for the current stream

void set_debug_sync(bool on);
bool debug_sync();
void after_launch(const char* kernel, const char* file, int line);

// Device memory (cudaMalloc / cudaFree); alloc_bytes(0) returns null.
void* alloc_bytes(size_t bytes);
void free_bytes(void* p);
// Page-locked host memory, so host->device copies can overlap with kernels.
void* alloc_pinned(size_t bytes);
void free_pinned(void* p);
// Copies on the current stream; *_async return before the copy completes.
void copy_to_device(void* dst, const void* src, size_t bytes);
void copy_to_host(void* dst, const void* src, size_t bytes);
void copy_device(void* dst, const void* src, size_t bytes);
void copy_to_device_async(void* dst, const void* src, size_t bytes);
void zero(void* p, size_t bytes);

// Events, for overlapping the next batch's upload with the current step and for timing.
void* create_event();
void destroy_event(void* event);
void record_event(void* event);            // on the current stream
void wait_event(void* event);              // blocks the host until the event has passed
void stream_wait_event(void* stream, void* event);
float elapsed_ms(void* start, void* stop);  // synchronises on stop

// The scalars that change from one training step to the next, for CUDA graphs: a captured kernel
// keeps the arguments it was launched with, so while a device copy of this struct is registered,
// the kernels that use these values (dropout, augmentation, optimizers) read them from it instead.
struct StepScalars {
  uint64_t step = 0;        // global step (dropout masks)
  uint64_t first = 0;       // training position of the batch's first image (augmentation)
  float lr = 0.0f;          // learning rate (optimizers)
  float step_size = 0.0f;   // Adam: lr / (1 - beta1^t)
  float inv_sqrt_bc2 = 0.0f;  // Adam: 1 / sqrt(1 - beta2^t)
};
void set_step_scalars(const StepScalars* device_copy);  // null: use the launch arguments
const StepScalars* step_scalars();
// Stream capture into a CUDA graph (thread-local mode: anything that would be unsafe to replay, such
// as an allocation, fails the capture). end_capture returns an instantiated, launchable graph.
void begin_capture();
void* end_capture();
void launch_graph(void* exec);  // on the current stream
void destroy_graph(void* exec);

// TF32 tensor-core math in cuBLAS/cuDNN: off by default so results compare with the CPU at float
// tolerance; benchmarks may turn it on and say so.
void set_allow_tf32(bool on);
bool allow_tf32();

// Which form `impl: native` takes for a convolution's products (kernels/conv2d.h): Native, the
// direct kernel wherever its block fits in 80 KiB of shared memory and keeps half its threads busy,
// else the implicit GEMM; Gemm, the GEMM throughout; Direct, the direct kernel wherever the card has
// the memory. For comparing the forms end to end (`cuda.conv_native`). Library is not a form of
// the native kernels and is refused.
void set_conv_native_form(KernelImpl form);
KernelImpl conv_native_form();

// How the channel-chunked forward convolution picks its tiling (kernels/cuda/conv_chunked_tiling.h):
// Measured, the fastest of its candidate tilings as timed on the card the first time a shape runs
// outside a graph capture, then kept for the process (like cuDNN's benchmark mode; every tiling gives
// the same bits); Model, the tiling its model rates fastest, with no timing (`cuda.conv_tiling`;
// NULLMARK_CONV_TILING=model in the environment makes it Model throughout).
enum class ConvTiling { Measured, Model };
void set_conv_tiling(ConvTiling tiling);
ConvTiling conv_tiling();
// Whether the current stream is capturing a graph (where work may be recorded but not timed).
bool stream_capturing();

}  // namespace nullmark::cuda

// NM_GPU(cuda::op(...)): the call in a build with the CUDA backend; without it, an error saying so
// (the call is not compiled, so CPU-only builds need no CUDA symbols).
#if NULLMARK_WITH_CUDA
#define NM_GPU(call) call
#else
#define NM_GPU(call) ::nullmark::cuda::check_status(1, #call, __FILE__, __LINE__)
#endif
