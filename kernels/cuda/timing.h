// Timing GPU work with CUDA events on the current stream: milliseconds per call of f(), over
// `reps` calls after one untimed warm-up call.
#pragma once
#include "kernels/cuda/runtime.h"

namespace nullmark::cuda {

template <class F>
double time_ms(F&& f, int reps) {
  f();
  void* start = create_event();
  void* stop = create_event();
  record_event(start);
  for (int i = 0; i < reps; ++i) f();
  record_event(stop);
  const double ms = elapsed_ms(start, stop) / reps;
  destroy_event(start);
  destroy_event(stop);
  return ms;
}

}  // namespace nullmark::cuda
