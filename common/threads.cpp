#include "common/threads.h"

#include <cblas.h>
#include <omp.h>

namespace nullmark {

int set_threads(int n) {
  if (n <= 0) n = omp_get_num_procs();
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
  return n;
}

int thread_count() { return omp_get_max_threads(); }

}  // namespace nullmark
