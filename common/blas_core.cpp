#include "common/blas_core.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

extern "C" char* openblas_get_corename(void);

namespace nullmark {

const char* blas_core_name() { return openblas_get_corename(); }

void ensure_blas_core(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") || std::getenv("NULLMARK_NO_BLAS_REEXEC")) return;
  if (std::strcmp(openblas_get_corename(), "Prescott") != 0) return;
  __builtin_cpu_init();
  const char* core = nullptr;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq"))
    core = "SkylakeX";
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    core = "Haswell";
  if (!core) return;
  setenv("OPENBLAS_CORETYPE", core, 1);
  setenv("NULLMARK_NO_BLAS_REEXEC", "1", 1);  // never loop, whatever the new process finds
  execv("/proc/self/exe", argv);
  // exec failed: carry on with the slow kernels rather than stop the run.
  std::fprintf(stderr, "note: OpenBLAS uses generic kernels on this CPU (set OPENBLAS_CORETYPE=%s to speed up)\n",
               core);
}

}  // namespace nullmark
