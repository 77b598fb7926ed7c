// Where a run computes: the `device:` key and the `cuda:` section, read the same way by training
// configs (`nullmark train`) and experiment configs (`nullmark run`).
#pragma once
#include <memory>
#include <string>

#include "common/strict_yaml.h"
#include "kernels/cuda/context.h"
#include "nn/network.h"
#include "nn/tensor.h"
#include "train/trainer.h"

namespace nullmark {

struct ComputeOptions {
  Device device = Device::CPU;
  bool debug_sync = false;  // cuda.debug_sync: synchronise (and check) after every launch
  // cuda.precision: fp32 | tf32 | bf16, how GPU matrix products round their operands (kernels/precision.h)
  Precision precision = Precision::Fp32;
  bool graph = false;       // cuda.graph: replay the training step as a CUDA graph
  std::string conv_native = "auto";  // cuda.conv_native: auto | gemm | direct (KernelImpl)
  std::string conv_tiling = "measured";  // cuda.conv_tiling: measured | model (cuda::ConvTiling)
  std::string resident_data = "auto";    // cuda.resident_data: auto | on | off (Trainer::ResidentData)

  // Reads `device` (cpu | cuda) and the optional `cuda` section of a config's top level.
  static ComputeOptions read(ConfigMap& root);
  // A command-line `--device cpu|cuda`, other options at their defaults.
  static ComputeOptions of(const std::string& device);

  // On CUDA: fails (naming config_path) when no device is visible or the card lacks the precision's
  // tensor cores, prints the device, and returns
  // the run's context: its stream and these options (debug_sync, precision, conv_native,
  // conv_tiling), with the environment's debugging switches. Null on the CPU. The networks the run
  // places share it, so it lasts while they do.
  std::shared_ptr<cuda::Context> activate(const std::string& config_path) const;
  // activate(), then moves `net` to the device with that context (nothing on the CPU).
  void place(Network& net, const std::string& config_path) const;
  // The trainer's CUDA settings: graph and resident_data.
  void configure(Trainer& trainer) const;
};

}  // namespace nullmark
