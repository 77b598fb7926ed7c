#include "experiments/compute_options.h"

#include <cstdio>

#include "common/error.h"
#include "kernels/cuda/device.h"

namespace nullmark {

ComputeOptions ComputeOptions::read(ConfigMap& root) {
  ComputeOptions o;
  o.device = root.choice("device", "cpu", {"cpu", "cuda"}) == "cuda" ? Device::CUDA : Device::CPU;
  if (root.has("cuda")) {
    ConfigMap c = root.section("cuda");
    o.debug_sync = c.boolean("debug_sync", false);
    const std::string precision = c.choice("precision", "fp32", {"fp32", "tf32", "bf16"});
    o.precision = precision == "bf16" ? Precision::Bf16 : precision == "tf32" ? Precision::Tf32 : Precision::Fp32;
    o.graph = c.boolean("graph", false);
    o.conv_native = c.choice("conv_native", "auto", {"auto", "gemm", "direct"});
    o.conv_tiling = c.choice("conv_tiling", "measured", {"measured", "model"});
    o.resident_data = c.choice("resident_data", "auto", {"auto", "on", "off"});
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
  net.to(device, activate(config_path));
}

void ComputeOptions::configure(Trainer& trainer) const {
  trainer.set_cuda_graph(graph);
  trainer.set_resident_data(resident_data == "on"    ? Trainer::ResidentData::On
                            : resident_data == "off" ? Trainer::ResidentData::Off
                                                     : Trainer::ResidentData::Auto);
}

std::shared_ptr<cuda::Context> ComputeOptions::activate(const std::string& config_path) const {
  if (device == Device::CPU) {
    if (precision != Precision::Fp32)
      std::fprintf(stderr, "note: cuda.precision %s applies on the GPU; the CPU computes in fp32\n",
                   precision_name(precision));
    return nullptr;
  }
  const cuda::DeviceInfo info = cuda::query_device();
  if (!info.available) throw fail(config_path, ": device: cuda, but ", info.description);
  cuda::ContextOptions o = cuda::ContextOptions::from_environment();
  o.debug_sync = o.debug_sync || debug_sync;
  o.precision = precision;
  o.conv_form = conv_native == "gemm" ? KernelImpl::Gemm : conv_native == "direct" ? KernelImpl::Direct : KernelImpl::Native;
  if (conv_tiling == "model") o.conv_tiling = cuda::ConvTiling::Model;
  std::shared_ptr<cuda::Context> gpu;
  try {
    gpu = std::make_shared<cuda::Context>(o);
  } catch (const Error& e) {  // a precision the card lacks, or a form the precision lacks
    throw fail(config_path, ": ", e.what());
  }
  const std::string precision_note =
      precision == Precision::Fp32 ? "" : std::string(", ") + precision_name(precision) + " tensor-core products";
  std::fprintf(stderr, "device: %s%s%s%s%s%s\n", info.description.c_str(),
               o.debug_sync ? ", synchronising after every launch" : "", precision_note.c_str(),
               graph ? ", training step as a CUDA graph" : "",
               conv_native == "auto" ? "" : (", native convolutions: " + conv_native).c_str(),
               o.conv_tiling == cuda::ConvTiling::Model ? ", chunked convolution tilings from the model" : "");
  return gpu;
}

}  // namespace nullmark
