#include "experiments/commands/model_and_data.h"

#include "common/error.h"
#include "common/files.h"
#include "experiments/compute_options.h"
#include "experiments/run_setup.h"
#include "interop/model_file.h"

namespace nullmark::commands {

ModelAndData load_model_and_data(const std::string& model, const std::string& data_path, const std::string& split,
                                 const std::string& device) {
  ModelAndData l;
  l.bytes = read_file(model);
  l.ckpt = parse_model_file(l.bytes, model);
  l.net = network_from_checkpoint(l.ckpt, model);
  ComputeOptions::of(device).place(*l.net, "--device");
  l.data = data_config_from_checkpoint(l.ckpt, model);
  if (!data_path.empty()) l.data.path = data_path;
  l.data.train_limit = l.data.test_limit = 0;
  l.d = load_dataset(l.data, split == "train" ? Split::Train : Split::Test);
  if (l.d.shape != l.net->input_shape() || l.d.classes != l.ckpt.classes)
    throw fail(model, ": model expects ", l.net->input_shape().str(), " inputs and ", l.ckpt.classes,
               " classes, data set ", l.d.name, " has ", l.d.shape.str(), " and ", l.d.classes);
  return l;
}

VerifyOptions verify_options(const VerifyArgs& a, const DataConfig& data) {
  VerifyOptions opt;
  opt.thresholds.min_true = a.min_true;
  opt.thresholds.max_null_drop = a.max_null_drop;
  opt.thresholds.min_clean = a.min_clean;
  opt.random_keys = a.random_keys;
  opt.blind_keys = a.blind_keys;
  opt.far = a.far;
  opt.random_samples = a.random_samples;
  opt.seed = a.seed;
  opt.data_mean = data.mean;
  opt.data_std = data.std;
  return opt;
}

}  // namespace nullmark::commands
