#include "experiments/drivers/experiment.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>

#include "common/error.h"
#include "common/files.h"
#include "common/threads.h"
#include "experiments/run_setup.h"
#include "interop/model_file.h"

namespace nullmark {

std::unique_ptr<Network> load_network(const Checkpoint& ckpt, const std::string& path) {
  return network_from_checkpoint(ckpt, path);
}

std::unique_ptr<Network> load_network(const ExperimentContext& ctx) { return load_network(ctx.model, ctx.model_path); }

void to_run_device(const ExperimentContext& ctx, Network& net) { net.to(ctx.compute.device, ctx.gpu); }

Measurement measure(Network& net, const ExperimentContext& ctx, const Watermark& wm) {
  Measurement m;
  m.acc = evaluate_watermark(net, ctx.test, wm, ctx.eval_limit);
  m.missed = ctx.thresholds.missed(m.acc.clean, m.acc.null, m.acc.true_);
  m.accepted = m.missed == 0;
  return m;
}

namespace {
std::vector<std::string> missed_names(unsigned missed) {
  std::vector<std::string> out;
  if (missed & VerifyThresholds::kMissedClean) out.push_back("clean");
  if (missed & VerifyThresholds::kMissedTrue) out.push_back("true");
  if (missed & VerifyThresholds::kMissedNull) out.push_back("null");
  return out;
}
}  // namespace

std::string Measurement::verdict() const {
  if (accepted) return "accepted";
  std::string s = "rejected (";
  const auto names = missed_names(missed);
  for (size_t i = 0; i < names.size(); ++i) s += (i ? ", " : "") + names[i];
  return s + ")";
}

nlohmann::json Measurement::decision_json() const {
  return {{"decision", decision()}, {"missed", missed_names(missed)}};
}

nlohmann::json accuracy_json(const Measurement& m) {
  nlohmann::json j = m.decision_json();
  j["clean"] = m.acc.clean;
  j["null"] = m.acc.null;
  j["true"] = m.acc.true_;
  return j;
}

std::string percent_key(double rate) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", 100 * rate);
  return buf;
}

namespace {
const std::map<std::string, Driver>& drivers() {
  static const std::map<std::string, Driver> d = {{"piracy", piracy_driver},
                                                  {"finetune", finetune_driver},
                                                  {"pruning", pruning_driver},
                                                  {"quantize", quantize_driver},
                                                  {"neural-cleanse", neural_cleanse_driver},
                                                  {"transfer", transfer_driver},
                                                  {"fine-pruning", fine_pruning_driver},
                                                  {"forgery", forgery_driver}};
  return d;
}
}  // namespace

std::vector<std::string> experiment_names() {
  std::vector<std::string> names;
  for (const auto& kv : drivers()) names.push_back(kv.first);
  return names;
}

nlohmann::json run_experiment(const std::string& config_path, const std::vector<std::string>& overrides) {
  const auto t0 = std::chrono::steady_clock::now();
  ConfigMap root = ConfigMap::load_file(config_path);
  for (const auto& o : overrides) apply_override(root.node(), o);
  ExperimentContext ctx;
  ctx.config_path = config_path;
  ctx.experiment = root.choice("experiment", experiment_names());
  ctx.seed = static_cast<uint64_t>(root.integer("seed", 1, 0, 1L << 62));
  ctx.threads = set_threads(static_cast<int>(root.integer("threads", 0, 0, 1024)));
  ctx.compute = ComputeOptions::read(root);
  ctx.output_dir = root.string("output_dir", "runs/" + ctx.experiment);
  ctx.model_path = root.string("model");
  const std::string claim_path = root.string("claim");
  const std::string data_path = root.string("data_path", "");
  ctx.eval_limit = root.integer("eval_samples", 0, 0, 1L << 30);
  root.raw("sweep");  // expanded by run_sweep; recorded in the resolved config of each run
  ConfigMap th = root.section("thresholds");
  ctx.thresholds.min_true = th.number("min_true", ctx.thresholds.min_true, 0.0, 1.0);
  ctx.thresholds.max_null_drop = th.number("max_null_drop", ctx.thresholds.max_null_drop, 0.0, 1.0);
  ctx.thresholds.min_clean = th.number("min_clean", ctx.thresholds.min_clean, 0.0, 1.0);
  th.finish();
  ConfigMap section = root.section(ctx.experiment);
  root.finish();
  const Runner runner = drivers().at(ctx.experiment)(section);
  // Check every file the run needs before any work starts.
  if (!file_exists(ctx.model_path)) root.error("model", "model file " + ctx.model_path + " does not exist");
  try {
    ctx.owner = load_verified_claim(claim_path);
  } catch (const Error& e) {
    root.error("claim", e.what());
  }
  ctx.gpu = ctx.compute.activate(config_path);
  ctx.model = load_model_file(ctx.model_path);
  ctx.data = data_config_from_checkpoint(ctx.model, ctx.model_path);
  if (!data_path.empty()) ctx.data.path = data_path;
  ctx.data.train_limit = ctx.data.test_limit = 0;
  std::fprintf(stderr, "%s: model %s, claim %s\n", ctx.experiment.c_str(), ctx.model_path.c_str(), claim_path.c_str());
  ctx.train = load_dataset(ctx.data, Split::Train);
  ctx.test = load_dataset(ctx.data, Split::Test);
  ctx.owner_wm = watermark_for(ctx.owner, Shape(ctx.model.input_shape), ctx.model.classes, ctx.data.mean, ctx.data.std);

  make_dirs(ctx.output_dir);
  runner(ctx);

  YAML::Emitter e;
  e << root.resolved();
  const std::string resolved = std::string(e.c_str()) + "\n";
  write_file_atomic(ctx.output_dir + "/config.yaml", resolved);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ctx.results.findings["wall_s"] = wall;
  write_results(ctx.output_dir, ctx.experiment, ctx.results, resolved, wall);
  std::printf("run directory: %s (config.yaml, results.json, *.csv, report.md, figures); %.0f s\n",
              ctx.output_dir.c_str(), wall);
  return ctx.results.findings;
}

}  // namespace nullmark
