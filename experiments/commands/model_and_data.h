// What verify, verify-cert and dispute share: a model with the held-out data it is measured on, and
// the measurement options of the command line.
#pragma once
#include <memory>
#include <string>

#include "datasets/dataset.h"
#include "experiments/commands/commands.h"
#include "nn/checkpoint.h"
#include "nn/network.h"
#include "watermark/verification.h"

namespace nullmark::commands {

struct ModelAndData {
  std::string bytes;  // the model file as read, for its hash
  Checkpoint ckpt;
  std::unique_ptr<Network> net;
  DataConfig data;
  Dataset d;
};

// The checkpoint, its network placed on `device`, and the `split` of its data (or of `data_path`);
// a data set of another shape or class count is refused.
ModelAndData load_model_and_data(const std::string& model, const std::string& data_path, const std::string& split,
                                 const std::string& device);

// The verification settings of verify's (and dispute's) options, with the data's normalisation.
VerifyOptions verify_options(const VerifyArgs& a, const DataConfig& data);

}  // namespace nullmark::commands
