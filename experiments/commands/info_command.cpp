#include <cstdio>

#include "common/blas_core.h"
#include "common/threads.h"
#include "experiments/commands/commands.h"
#include "kernels/cuda/device.h"
#include "kernels/precision.h"
#include "nn/registry.h"

namespace nullmark::commands {

int info() {
  std::printf("nullmark %s\n", NULLMARK_VERSION);
  std::printf("cpu threads: %d, OpenBLAS kernels: %s\n", thread_count(), blas_core_name());
  const cuda::DeviceInfo card = cuda::query_device();
  std::printf("cuda: %s\n", card.description.c_str());
  if (card.available) {  // the cuda.precision values this card runs (kernels/precision.h)
    std::printf("cuda precisions:");
    for (Precision p : {Precision::Fp32, Precision::Tf32, Precision::Bf16})
      if (precision_refusal(p, card.name, card.major, card.minor).empty()) std::printf(" %s", precision_name(p));
    std::printf("\n");
  }
  std::printf("layer types:");
  for (const auto& t : builtin_layers().types()) std::printf(" %s", t.c_str());
  std::printf("\n");
  return 0;
}

}  // namespace nullmark::commands
