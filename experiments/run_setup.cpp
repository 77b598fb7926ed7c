#include "experiments/run_setup.h"

#include <cstdint>
#include <cstdio>

#include "common/error.h"
#include "common/threads.h"

namespace nullmark {

std::string RunSetup::resolved_yaml() const {
  YAML::Emitter e;
  e << resolved;
  return std::string(e.c_str()) + "\n";
}

RunSetup load_run_setup(const std::string& config_path, const std::vector<std::string>& overrides) {
  ConfigMap root = ConfigMap::load_file(config_path);
  for (const auto& o : overrides) apply_override(root.node(), o);
  RunSetup s;
  s.config_path = config_path;
  s.seed = static_cast<uint64_t>(root.integer("seed", 1, 0, 1L << 62));
  s.threads = set_threads(static_cast<int>(root.integer("threads", 0, 0, 1024)));
  s.compute = ComputeOptions::read(root);
  s.output_dir =
      root.string("output_dir", "runs/" + std::string(config_path.substr(config_path.find_last_of('/') + 1)));
  if (s.output_dir.size() > 5 && s.output_dir.substr(s.output_dir.size() - 5) == ".yaml")
    s.output_dir.resize(s.output_dir.size() - 5);
  s.data = DataConfig::read(root.section("data"));
  // The model and train sections are read (and checked) before the data loads: a typo fails fast.
  ConfigMap model = root.section("model");
  s.train_params = TrainParams::read(root.section("train"));
  if (root.has("watermark"))
    s.watermark = std::make_unique<WatermarkTraining>(WatermarkTraining::read(root.section("watermark"), &s.claim));
  root.finish();
  std::fprintf(stderr, "loading %s data from %s\n", s.data.type.c_str(), s.data.path.c_str());
  if (resolve_normalisation(s.data)) {
    // Computed statistics are part of the run: record them so evaluation normalises the same way.
    YAML::Node r = root.resolved()["data"];
    r["mean"] = s.data.mean;
    r["std"] = s.data.std;
    std::fprintf(stderr, "normalisation computed from the training split (recorded in config.yaml)\n");
  }
  s.train = load_dataset(s.data, Split::Train);
  s.test = load_dataset(s.data, Split::Test);
  s.model_name = model.has("name") ? model.node()["name"].Scalar() : "unnamed";
  s.net = std::make_unique<Network>(Network::from_config(model, s.train.shape, s.train.classes));
  if (s.watermark) s.wm = watermark_for(s.claim, s.train.shape, s.train.classes, s.data.mean, s.data.std);
  s.resolved = root.resolved();
  return s;
}

void place_on_device(RunSetup& s, Optimizer& opt) {
  s.compute.place(*s.net, s.config_path);
  opt.to(*s.net);
}

namespace {
ConfigMap checkpoint_config(const Checkpoint& ckpt, const std::string& path) {
  return ConfigMap::load_string(ckpt.config_yaml, path + " (embedded config)");
}
}  // namespace

std::unique_ptr<Network> network_from_checkpoint(const Checkpoint& ckpt, const std::string& path) {
  ConfigMap cfg = checkpoint_config(ckpt, path);
  if (!cfg.has("model")) throw fail(path, ": checkpoint config has no model section");
  auto net =
      std::make_unique<Network>(Network::from_config(cfg.section("model"), Shape(ckpt.input_shape), ckpt.classes));
  load_network(ckpt, *net, path);
  return net;
}

DataConfig data_config_from_checkpoint(const Checkpoint& ckpt, const std::string& path) {
  ConfigMap cfg = checkpoint_config(ckpt, path);
  if (!cfg.has("data"))
    throw fail(path, ": the model names no data set (an ONNX model carries one as nullmark.data metadata: add it "
               "with `nullmark export --model ", path, " --config CFG --out M.onnx`)");
  return DataConfig::read(cfg.section("data"));
}

}  // namespace nullmark
