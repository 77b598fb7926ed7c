// Build without the CUDA backend: asking for a context, GPU memory or copies is an error that says so.
#include "common/error.h"
#include "kernels/cuda/runtime.h"

namespace nullmark::cuda {

namespace {
[[noreturn]] void no_cuda() {
  throw fail("this nullmark was built without the CUDA backend (rebuild with nvcc available, NULLMARK_CUDA=ON)");
}
}  // namespace

void check_status(int status, const char*, const char*, int) {
  if (status != 0) no_cuda();
}
ContextOptions ContextOptions::from_environment() { return {}; }
Context::Context(const ContextOptions&) { no_cuda(); }
Context::~Context() = default;
void Context::synchronize() const { no_cuda(); }
bool Context::capturing() const { return false; }
void after_launch(const Context&, const char*, const char*, int) { no_cuda(); }
void* alloc_bytes(size_t bytes) {
  if (bytes) no_cuda();
  return nullptr;
}
void free_bytes(void*) {}
void* alloc_pinned(size_t bytes) {
  if (bytes) no_cuda();
  return nullptr;
}
void free_pinned(void*) {}
void copy_to_host(const Context&, void*, const void*, size_t) { no_cuda(); }
void copy_device(const Context&, void*, const void*, size_t) { no_cuda(); }
void copy_to_device_async(const Context&, void*, const void*, size_t) { no_cuda(); }
void sync_upload(void*, const void*, size_t) { no_cuda(); }
void sync_download(void*, const void*, size_t) { no_cuda(); }
void sync_zero(void*, size_t) { no_cuda(); }
void* create_event() { no_cuda(); }
void destroy_event(void*) {}
void record_event(const Context&, void*) { no_cuda(); }
void wait_event(void*) { no_cuda(); }
float elapsed_ms(void*, void*) { no_cuda(); }
void begin_capture(const Context&) { no_cuda(); }
void* end_capture(const Context&) { no_cuda(); }
void launch_graph(const Context&, void*) { no_cuda(); }
void destroy_graph(void*) {}

}  // namespace nullmark::cuda
