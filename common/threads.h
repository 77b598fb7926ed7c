// One thread count for our OpenMP loops and OpenBLAS (the OpenMP build shares the pool).
#pragma once

namespace nullmark {

// n <= 0 means "all cores". Returns the count in effect.
int set_threads(int n);
int thread_count();

}  // namespace nullmark
