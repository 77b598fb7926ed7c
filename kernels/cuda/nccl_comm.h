// The GPUs of a data-parallel job sum their gradients through NCCL, on the context's stream. NCCL is
// optional: a build whose CUDA toolkit has none (NCCL_ROOT may point at the nvidia-nccl Python wheel
// that PyTorch brings) answers nccl_available() = false, and a job that needs it says so.
#pragma once
#include <cstddef>
#include <string>

#include "kernels/cuda/context.h"

namespace nullmark::cuda {

bool nccl_available();
// A new job's identity, made on rank 0 and passed to the other ranks (through MPI) before they join.
std::string nccl_unique_id();
// Joins the job `id` as `rank` of `ranks`, on the current device. Returns the communicator.
void* nccl_join(const std::string& id, int rank, int ranks);
// Element-wise sum over the ranks of n floats in device memory, in place, queued on the context's stream.
void nccl_allreduce_sum(const Context& ctx, void* comm, float* data, size_t n);
void nccl_leave(void* comm);

}  // namespace nullmark::cuda
