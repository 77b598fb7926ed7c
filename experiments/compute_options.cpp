#include "experiments/compute_options.h"

#include <cstdio>

#include "common/error.h"
#include "kernels/cuda/device.h"
#include "kernels/cuda/runtime.h"

namespace nullmark {

ComputeOptions ComputeOptions::read(ConfigMap& root) {
  ComputeOptions o;
  o.device = root.choice("device", "cpu", {"cpu", "cuda"}) == "cuda" ? Device::CUDA : Device::CPU;
  if (root.has("cuda")) {
    ConfigMap c = root.section("cuda");
    o.debug_sync = c.boolean("debug_sync", false);
    o.allow_tf32 = c.boolean("allow_tf32", false);
    o.graph = c.boolean("graph", false);
    o.conv_native = c.choice("conv_native", "auto", {"auto", "gemm", "direct"});
    o.conv_tiling = c.choice("conv_tiling", "measured", {"measured", "model"});
    c.finish();
  }
  return o;
}

ComputeOptions ComputeOptions::of(const std::string& device) {
  ComputeOptions o;
  o.device = device == "cuda" ? Device::CUDA : Device::CPU;
  return o;
}

void ComputeOptions::place(Network& net, const std::string& config_path) const {
  activate(config_path);
  net.to(device);
}

void ComputeOptions::activate(const std::string& config_path) const {
  if (device == Device::CPU) return;
  const cuda::DeviceInfo info = cuda::query_device();
  if (!info.available) throw fail(config_path, ": device: cuda, but ", info.description);
  // The run's stream, for its whole life. A sweep activates once per run, after the previous run's
  // networks, trainers and graphs are gone: its stream is destroyed here (CUDA releases it once any
  // work still queued on it has finished), so a long sweep holds one stream, not one per run.
  void* previous = cuda::current_stream();
  cuda::set_current_stream(cuda::create_stream());
  cuda::destroy_stream(previous);
  cuda::set_debug_sync(debug_sync || cuda::debug_sync());
  cuda::set_allow_tf32(allow_tf32);
  cuda::set_conv_native_form(conv_native == "gemm"     ? KernelImpl::Gemm
                             : conv_native == "direct" ? KernelImpl::Direct
                                                       : KernelImpl::Native);
  cuda::set_conv_tiling(conv_tiling == "model" ? cuda::ConvTiling::Model : cuda::ConvTiling::Measured);
  std::fprintf(stderr, "device: %s%s%s%s%s%s\n", info.description.c_str(),
               cuda::debug_sync() ? ", synchronising after every launch" : "", allow_tf32 ? ", TF32 allowed" : "",
               graph ? ", training step as a CUDA graph" : "",
               conv_native == "auto" ? "" : (", native convolutions: " + conv_native).c_str(),
               conv_tiling == "measured" ? "" : ", chunked convolution tilings from the model");
}

}  // namespace nullmark
