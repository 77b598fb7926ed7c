// Per-layer choice between nullmark's own CUDA kernel and the vendor library (cuBLAS / cuDNN), from
// the layer's `impl:` key. `auto` times both on the layer's first GPU forward pass (after one
// untimed run each) and keeps the faster, so the default is the fastest measured on the card at hand.
#pragma once
#include <string>

#include "common/strict_yaml.h"
#include "kernels/cuda/timing.h"

namespace nullmark::layers {

enum class Impl { Auto, Native, Library };

// Reads `impl:` with the library's name as the alternative (e.g. "cudnn").
inline Impl read_impl(ConfigMap& cfg, const std::string& library) {
  const std::string v = cfg.choice("impl", "auto", {"auto", "native", library});
  return v == "auto" ? Impl::Auto : v == "native" ? Impl::Native : Impl::Library;
}

// Resolves Auto by timing run(false) (native) against run(true) (library); returns the choice.
template <class Run>
Impl choose_impl(Impl impl, Run run) {
  if (impl != Impl::Auto) return impl;
  const double native = cuda::time_ms([&] { run(false); }, 3);
  const double library = cuda::time_ms([&] { run(true); }, 3);
  return library < native ? Impl::Library : Impl::Native;
}

inline std::string impl_name(Impl impl, const std::string& library) {
  return impl == Impl::Auto ? "auto" : impl == Impl::Native ? "native" : library;
}

}  // namespace nullmark::layers
