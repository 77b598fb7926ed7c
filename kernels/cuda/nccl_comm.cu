#include <nccl.h>

#include "common/error.h"
#include "kernels/cuda/nccl_comm.h"
#include "kernels/cuda/runtime.h"

namespace nullmark::cuda {

namespace {
void check(ncclResult_t r, const char* what) {
  if (r != ncclSuccess) throw fail("NCCL ", what, ": ", ncclGetErrorString(r));
}
}  // namespace

bool nccl_available() { return true; }

std::string nccl_unique_id() {
  ncclUniqueId id;
  check(ncclGetUniqueId(&id), "unique id");
  return std::string(id.internal, sizeof id.internal);
}

void* nccl_join(const std::string& id, int rank, int ranks) {
  NM_CHECK(id.size() == sizeof(ncclUniqueId::internal), "NCCL: a job id of ", id.size(), " bytes");
  ncclUniqueId uid;
  std::copy(id.begin(), id.end(), uid.internal);
  ncclComm_t comm = nullptr;
  check(ncclCommInitRank(&comm, ranks, uid, rank), "communicator");
  return comm;
}

void nccl_allreduce_sum(const Context& ctx, void* comm, float* data, size_t n) {
  check(ncclAllReduce(data, data, n, ncclFloat, ncclSum, static_cast<ncclComm_t>(comm),
                      static_cast<cudaStream_t>(ctx.stream())),
        "all-reduce");
}

void nccl_leave(void* comm) {
  if (comm) ncclCommDestroy(static_cast<ncclComm_t>(comm));
}

}  // namespace nullmark::cuda
