// cuDNN convolution: the baseline the hand-written kernels are measured against, and a selectable
// implementation (`impl: cudnn`). Algorithms: the heuristics' best deterministic ones; math is FP32 FMA, or TF32
// in cuda.precision tf32 (context.h); bf16 is refused. Bias and the fused ReLU are applied by nullmark's own kernels.
#pragma once
#include <cstddef>

#include "kernels/conv2d.h"
#include "kernels/cuda/context.h"

namespace nullmark::cuda {
// False in builds without cuDNN (the functions below then throw).
bool cudnn_available();
size_t cudnn_conv_workspace(const Context& ctx, const Conv2dShape& s);
void cudnn_conv_forward(const Context& ctx, const Conv2dShape& s, const float* x, const float* w, const float* b, float* y, float* work);
void cudnn_conv_backward(const Context& ctx, const Conv2dShape& s, const float* x, const float* w, const float* y, const float* dy,
                         float* dx, float* dw, float* db, GradMode mode, float* work);
}  // namespace nullmark::cuda
