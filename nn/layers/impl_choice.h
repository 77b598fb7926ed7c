// Per-layer choice between nullmark's own CUDA kernel and the vendor library (cuBLAS / cuDNN), from
// the layer's `impl:` key. `auto` times both on the layer's first GPU forward pass (after one
// untimed run each) and keeps the faster, so the default is the fastest measured on the card at hand.
#pragma once
#include <string>

#include "common/strict_yaml.h"
#include "kernels/cuda/runtime.h"

namespace nullmark::layers {

enum class Impl { Auto, Native, Library };

// Reads `impl:` with the library's name as the alternative (e.g. "cudnn").
inline Impl read_impl(ConfigMap& cfg, const std::string& library) {
  const std::string v = cfg.choice("impl", "auto", {"auto", "native", library});
  return v == "auto" ? Impl::Auto : v == "native" ? Impl::Native : Impl::Library;
}

// Milliseconds per call of f() on the current stream, over `reps` calls after one warm-up.
template <class F>
float time_per_call_ms(F f, int reps = 3) {
  f();
  void* start = cuda::create_event();
  void* stop = cuda::create_event();
  cuda::record_event(start);
  for (int i = 0; i < reps; ++i) f();
  cuda::record_event(stop);
  const float ms = cuda::elapsed_ms(start, stop) / reps;
  cuda::destroy_event(start);
  cuda::destroy_event(stop);
  return ms;
}

// Resolves Auto by timing run(false) (native) against run(true) (library); returns the choice.
template <class Run>
Impl choose_impl(Impl impl, Run run) {
  if (impl != Impl::Auto) return impl;
  const float native = time_per_call_ms([&] { run(false); });
  const float library = time_per_call_ms([&] { run(true); });
  return library < native ? Impl::Library : Impl::Native;
}

inline std::string impl_name(Impl impl, const std::string& library) {
  return impl == Impl::Auto ? "auto" : impl == Impl::Native ? "native" : library;
}

}  // namespace nullmark::layers
