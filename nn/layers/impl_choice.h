// Per-layer choice between nullmark's own CUDA kernel and the vendor library (cuBLAS / cuDNN), from
// the layer's `impl:` key. `auto` is resolved by measurement on the card at hand, separately for the
// two passes: the forward pass on the layer's first GPU forward, the backward pass on its first GPU
// backward (each implementation run once untimed, then timed over three runs), since the faster
// forward kernel need not have the faster gradient kernels. A fixed `native` or library choice
// applies to both passes.
#pragma once
#include <string>

#include "common/error.h"
#include "common/strict_yaml.h"
#include "kernels/cuda/timing.h"
#include "kernels/kernel_impl.h"
#include "kernels/grad_mode.h"

namespace nullmark::layers {


// Resolves Auto by timing run(false) (native) against run(true) (library) on gpu's stream; returns
// the choice. A fixed choice times nothing (and needs no context).
template <class Run>
KernelImpl choose_impl(const cuda::Context* gpu, KernelImpl impl, Run run) {
  if (impl != KernelImpl::Auto) return impl;
  NM_CHECK(gpu != nullptr, "impl: auto is resolved by timing on the GPU, and no CUDA context was given");
  const double native = cuda::time_ms(*gpu, [&] { run(false); }, 3);
  const double library = cuda::time_ms(*gpu, [&] { run(true); }, 3);
  return library < native ? KernelImpl::Library : KernelImpl::Native;
}

inline std::string impl_name(KernelImpl impl, const std::string& library) {
  return impl == KernelImpl::Auto ? "auto" : impl == KernelImpl::Native ? "native" : library;
}

// One layer's choice for both passes. run(library) performs the pass with the library (true) or the
// native kernels (false); the call returns whether the real run should use the library.
class ImplChoice {
 public:
  // `named`: the layer's config named it, so the network's default does not replace it.
  explicit ImplChoice(KernelImpl configured, bool named = true)
      : forward_(configured), backward_(configured), named_(named) {}

  // The network's `impl:` (Network::from_config), for a layer that names none.
  void network_default(KernelImpl impl) {
    if (!named_) forward_ = backward_ = impl;
  }
  KernelImpl forward() const { return forward_; }

  template <class Run>
  bool forward_library(const cuda::Context* gpu, Run run) {
    forward_ = choose_impl(gpu, forward_, run);
    return forward_ == KernelImpl::Library;
  }
  // Timing repeats the pass, which is harmless only when it overwrites its outputs (every pass the
  // network runs); an accumulating first pass takes the forward pass's choice instead.
  template <class Run>
  bool backward_library(const cuda::Context* gpu, GradMode mode, Run run) {
    if (backward_ == KernelImpl::Auto && mode != GradMode::Overwrite) backward_ = forward_;
    backward_ = choose_impl(gpu, backward_, run);
    return backward_ == KernelImpl::Library;
  }
  // Whether either pass uses, or may still choose, `which` (its workspace must then be allotted).
  bool may_use(KernelImpl which) const {
    return forward_ == KernelImpl::Auto || backward_ == KernelImpl::Auto || forward_ == which || backward_ == which;
  }
  // No library on this machine: Auto means native.
  void without_library() {
    if (forward_ == KernelImpl::Auto) forward_ = KernelImpl::Native;
    if (backward_ == KernelImpl::Auto) backward_ = KernelImpl::Native;
  }
  // "cudnn", "native", "auto", or "native/cudnn" (forward/backward) when the passes differ.
  std::string name(const std::string& library) const {
    const std::string f = impl_name(forward_, library), b = impl_name(backward_, library);
    return f == b ? f : f + "/" + b;
  }

 private:
  KernelImpl forward_, backward_;
  bool named_;
};

// Reads a layer's `impl:` with the library's name as the alternative (e.g. "cudnn"); absent, the
// layer takes the network's default (auto unless the model says).
inline ImplChoice read_impl(ConfigMap& cfg, const std::string& library) {
  const bool named = cfg.has("impl");
  const std::string v = cfg.choice("impl", "auto", {"auto", "native", library});
  return ImplChoice(v == "auto" ? KernelImpl::Auto : v == "native" ? KernelImpl::Native : KernelImpl::Library, named);
}

}  // namespace nullmark::layers
