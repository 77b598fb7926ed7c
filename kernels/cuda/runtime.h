// The CUDA runtime as nullmark uses it, behind a header that needs no CUDA includes: device memory,
// explicit host<->device copies on a context's stream (kernels/cuda/context.h), and errors turned
// into nullmark::Error with the file and line of the failing call. Every kernel launch goes through
// after_launch(), which checks the launch and, when the context asks for debug synchronisation,
// waits for the kernel so an asynchronous fault is reported at the launch that caused it.
//
// Built without the CUDA backend, every function here throws "built without the CUDA backend".
#pragma once
#include <cstddef>
#include <cstdint>

#include "common/error.h"
#include "kernels/cuda/context.h"

namespace nullmark::cuda {

// Throws nullmark::Error("file:line: what: <CUDA error string>") unless status is 0 (cudaSuccess).
void check_status(int status, const char* what, const char* file, int line);
#define NM_CUDA_CHECK(call) ::nullmark::cuda::check_status(static_cast<int>(call), #call, __FILE__, __LINE__)

// Checks the launch just made, and when the context asks for debug synchronisation, waits for it.
void after_launch(const Context& ctx, const char* kernel, const char* file, int line);

// What alloc_bytes throws when the card has too little memory left, so that the code that knows what
// asked for it (the trainer: the batch size) can say so.
class OutOfDeviceMemory : public Error {
 public:
  explicit OutOfDeviceMemory(const std::string& what) : Error(what) {}
};

// Device memory (cudaMalloc / cudaFree); alloc_bytes(0) returns null.
void* alloc_bytes(size_t bytes);
void free_bytes(void* p);
// Page-locked host memory, so host->device copies can overlap with kernels.
void* alloc_pinned(size_t bytes);
void free_pinned(void* p);

// Copies ordered on a context's stream. copy_to_host returns once the copy (and everything queued
// before it) has finished; the others return at once.
void copy_to_host(const Context& ctx, void* dst, const void* src, size_t bytes);
void copy_device(const Context& ctx, void* dst, const void* src, size_t bytes);
void copy_to_device_async(const Context& ctx, void* dst, const void* src, size_t bytes);
// Whole-device forms for memory that no single stream owns (nn/device_array.h: parameters and
// arenas, made and moved between runs' steps): each first waits for all work on the device, then
// copies or fills, and returns when done. Not for use during a graph capture.
void sync_upload(void* dst, const void* src, size_t bytes);
void sync_download(void* dst, const void* src, size_t bytes);
void sync_zero(void* p, size_t bytes);

// Events, for overlapping the next batch's upload with the current step and for timing.
void* create_event();
void destroy_event(void* event);
void record_event(const Context& ctx, void* event);  // on the context's stream
void wait_event(void* event);                        // blocks the host until the event has passed
float elapsed_ms(void* start, void* stop);           // synchronises on stop

// Stream capture into a CUDA graph (thread-local mode: anything that would be unsafe to replay, such
// as an allocation, fails the capture). end_capture returns an instantiated, launchable graph.
void begin_capture(const Context& ctx);
void* end_capture(const Context& ctx);
void launch_graph(const Context& ctx, void* exec);
void destroy_graph(void* exec);

}  // namespace nullmark::cuda

// NM_GPU(cuda::op(...)): the call in a build with the CUDA backend; without it, an error saying so
// (the call is not compiled, so CPU-only builds need no CUDA symbols).
#if NULLMARK_WITH_CUDA
#define NM_GPU(call) call
#else
#define NM_GPU(call) ::nullmark::cuda::check_status(1, #call, __FILE__, __LINE__)
#endif
