// Batch assembly from a data set held in device memory (train/device_feed.h's resident mode): row i
// of the batch is row rows[i] of the data set, its `per` floats and its label. The CPU assembles
// batches in datasets/batcher.cpp (Batcher::gather) from the same rows; there is no CPU twin here.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/cuda/context.h"

namespace nullmark::cuda {

void gather_rows(const Context& ctx, int n, size_t per, const uint32_t* rows, const float* images,
                 const int32_t* labels, float* x, int32_t* y);

}  // namespace nullmark::cuda
