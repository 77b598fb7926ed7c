// Reads a training config strictly (top level: seed, threads, output_dir, data, model, train),
// loads its data, builds its network, and keeps the fully resolved config for the run directory.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "datasets/dataset.h"
#include "experiments/compute_options.h"
#include "train/trainer.h"
#include "nn/checkpoint.h"
#include "nn/network.h"
#include "watermark/embedding.h"

namespace nullmark {

struct RunSetup {
  std::string config_path;
  uint64_t seed = 1;
  int threads = 0;
  ComputeOptions compute;  // `device:` and `cuda:`; place the network with place_on_device()
  std::string output_dir;
  DataConfig data;
  Dataset train, test;
  std::unique_ptr<Network> net;
  std::string model_name;
  TrainParams train_params;
  // Present when the config has a `watermark:` section (null embedding at initial training).
  std::unique_ptr<WatermarkTraining> watermark;
  Claim claim;
  Watermark wm;
  YAML::Node resolved;  // every value used, defaults included
  std::string resolved_yaml() const;
};

// Activates the run's compute options (ComputeOptions::activate) and moves the network and
// optimizer to its device.
void place_on_device(RunSetup& s, Optimizer& opt);

// `overrides` are "key.path=value" assignments applied before reading.
RunSetup load_run_setup(const std::string& config_path, const std::vector<std::string>& overrides);

// Rebuilds the network a checkpoint was trained with and loads its parameters.
std::unique_ptr<Network> network_from_checkpoint(const Checkpoint& ckpt, const std::string& ckpt_path);
// The data section a checkpoint was trained with.
DataConfig data_config_from_checkpoint(const Checkpoint& ckpt, const std::string& ckpt_path);

}  // namespace nullmark
