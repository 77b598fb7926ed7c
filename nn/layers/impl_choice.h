// Per-layer choice between nullmark's own CUDA kernel and the vendor library (cuBLAS / cuDNN), from
// the layer's `impl:` key. `auto` is resolved by measurement on the card at hand, separately for the
// two passes: the forward pass on the layer's first GPU forward, the backward pass on its first GPU
// backward (each implementation run once untimed, then timed over three runs), since the faster
// forward kernel need not have the faster gradient kernels. A fixed `native` or library choice
// applies to both passes.
#pragma once
#include <string>

#include "common/strict_yaml.h"
#include "kernels/cuda/timing.h"
#include "kernels/grad_mode.h"

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

// One layer's choice for both passes. run(library) performs the pass with the library (true) or the
// native kernels (false); the call returns whether the real run should use the library.
class ImplChoice {
 public:
  explicit ImplChoice(Impl configured) : forward_(configured), backward_(configured) {}

  template <class Run>
  bool forward_library(Run run) {
    forward_ = choose_impl(forward_, run);
    return forward_ == Impl::Library;
  }
  // Timing repeats the pass, which is harmless only when it overwrites its outputs (every pass the
  // network runs); an accumulating first pass takes the forward pass's choice instead.
  template <class Run>
  bool backward_library(GradMode mode, Run run) {
    if (backward_ == Impl::Auto && mode != GradMode::Overwrite) backward_ = forward_;
    backward_ = choose_impl(backward_, run);
    return backward_ == Impl::Library;
  }
  // Whether either pass uses, or may still choose, `which` (its workspace must then be allotted).
  bool may_use(Impl which) const {
    return forward_ == Impl::Auto || backward_ == Impl::Auto || forward_ == which || backward_ == which;
  }
  // No library on this machine: Auto means native.
  void without_library() {
    if (forward_ == Impl::Auto) forward_ = Impl::Native;
    if (backward_ == Impl::Auto) backward_ = Impl::Native;
  }
  // "cudnn", "native", "auto", or "native/cudnn" (forward/backward) when the passes differ.
  std::string name(const std::string& library) const {
    const std::string f = impl_name(forward_, library), b = impl_name(backward_, library);
    return f == b ? f : f + "/" + b;
  }

 private:
  Impl forward_, backward_;
};

}  // namespace nullmark::layers
