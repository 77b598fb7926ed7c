// Build without the CUDA backend: asking for GPU memory, streams or copies is an error that says so.
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
void* current_stream() { return nullptr; }
void set_current_stream(void*) { no_cuda(); }
void* create_stream() { no_cuda(); }
void destroy_stream(void*) {}
void synchronize() { no_cuda(); }
void set_debug_sync(bool) {}
bool debug_sync() { return false; }
void after_launch(const char*, const char*, int) { no_cuda(); }
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
void copy_to_device(void*, const void*, size_t) { no_cuda(); }
void copy_to_host(void*, const void*, size_t) { no_cuda(); }
void copy_device(void*, const void*, size_t) { no_cuda(); }
void copy_to_device_async(void*, const void*, size_t) { no_cuda(); }
void zero(void*, size_t) { no_cuda(); }
void* create_event() { no_cuda(); }
void destroy_event(void*) {}
void record_event(void*) { no_cuda(); }
void wait_event(void*) { no_cuda(); }
void stream_wait_event(void*, void*) { no_cuda(); }
float elapsed_ms(void*, void*) { no_cuda(); }
void set_step_scalars(const StepScalars*) { no_cuda(); }
const StepScalars* step_scalars() { return nullptr; }
void begin_capture() { no_cuda(); }
void* end_capture() { no_cuda(); }
void launch_graph(void*) { no_cuda(); }
void destroy_graph(void*) {}
void set_allow_tf32(bool) {}
bool allow_tf32() { return false; }
void set_conv_native_form(KernelImpl) {}
KernelImpl conv_native_form() { return KernelImpl::Native; }
void set_conv_tiling(ConvTiling) {}
ConvTiling conv_tiling() { return ConvTiling::Measured; }
bool stream_capturing() { return false; }

}  // namespace nullmark::cuda
