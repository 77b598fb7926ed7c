// Timing GPU work with CUDA events on a context's stream: milliseconds per call of f(), over
// `reps` calls after one untimed warm-up call.
#pragma once
#include "kernels/cuda/runtime.h"

namespace nullmark::cuda {

template <class F>
double time_ms(const Context& ctx, F&& f, int reps) {
  f();
  void* start = create_event();
  void* stop = create_event();
  record_event(ctx, start);
  for (int i = 0; i < reps; ++i) f();
  record_event(ctx, stop);
  const double ms = elapsed_ms(start, stop) / reps;
  destroy_event(start);
  destroy_event(stop);
  return ms;
}

}  // namespace nullmark::cuda
