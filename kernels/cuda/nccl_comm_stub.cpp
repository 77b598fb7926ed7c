// Build with CUDA but without NCCL: data-parallel training on GPUs reports its absence.
#include "common/error.h"
#include "kernels/cuda/nccl_comm.h"

namespace nullmark::cuda {

namespace {
[[noreturn]] void no_nccl() {
  throw fail("this nullmark was built without NCCL, which data-parallel training on GPUs needs (rebuild with "
             "-DNCCL_ROOT=..., e.g. the nvidia-nccl Python wheel's directory; docs/clusters.md)");
}
}  // namespace

bool nccl_available() { return false; }
std::string nccl_unique_id() { no_nccl(); }
void* nccl_join(const std::string&, int, int) { no_nccl(); }
void nccl_allreduce_sum(const Context&, void*, float*, size_t) { no_nccl(); }
void nccl_leave(void*) {}

}  // namespace nullmark::cuda
