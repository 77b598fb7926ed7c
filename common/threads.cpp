#include "common/threads.h"

#include <cblas.h>
#include <omp.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace nullmark {

namespace {
// Flush denormals to zero (FTZ) and read them as zero (DAZ) on every thread of the pool. Gradients
// of saturated units and Adam's second moments of rarely-updated weights decay into the denormal
// range, where x86 arithmetic takes a microcode path many times slower; the values lost are below
// 1e-38 and do not matter to training.
void flush_denormals() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_setcsr(_mm_getcsr() | 0x8040);  // FTZ (bit 15) | DAZ (bit 6)
#endif
}
}  // namespace

int set_threads(int n) {
  if (n <= 0) n = omp_get_num_procs();
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
  flush_denormals();
#pragma omp parallel num_threads(n)
  flush_denormals();  // MXCSR is per thread
  return n;
}

int thread_count() { return omp_get_max_threads(); }

}  // namespace nullmark
