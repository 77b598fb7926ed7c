#include <cstdio>

#include "common/blas_core.h"
#include "common/threads.h"
#include "experiments/commands/commands.h"
#include "kernels/cuda/device.h"
#include "nn/registry.h"

namespace nullmark::commands {

int info() {
  std::printf("nullmark %s\n", NULLMARK_VERSION);
  std::printf("cpu threads: %d, OpenBLAS kernels: %s\n", thread_count(), blas_core_name());
  std::printf("cuda: %s\n", cuda::query_device().description.c_str());
  std::printf("layer types:");
  for (const auto& t : builtin_layers().types()) std::printf(" %s", t.c_str());
  std::printf("\n");
  return 0;
}

}  // namespace nullmark::commands
