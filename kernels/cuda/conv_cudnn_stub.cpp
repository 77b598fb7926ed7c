// Build with CUDA but without cuDNN: the cudnn convolution alternative reports its absence.
#include "common/error.h"
#include "kernels/cuda/conv_cudnn.h"

namespace nullmark::cuda {

namespace {
[[noreturn]] void no_cudnn() {
  throw fail("this nullmark was built without cuDNN (impl: cudnn is unavailable; use impl: native, or rebuild with "
             "-DCUDNN_ROOT=...)");
}
}  // namespace

bool cudnn_available() { return false; }
size_t cudnn_conv_workspace(const Context&, const Conv2dShape&) { no_cudnn(); }
void cudnn_conv_forward(const Context&, const Conv2dShape&, const float*, const float*, const float*, float*, float*) { no_cudnn(); }
void cudnn_conv_backward(const Context&, const Conv2dShape&, const float*, const float*, const float*, const float*, float*, float*,
                         float*, GradMode, float*) {
  no_cudnn();
}

}  // namespace nullmark::cuda
